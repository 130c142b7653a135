/* Java 17 sockets for the real-program tests. Prints one JSON line.
 *
 *   java JavaSockets exchange BYTES
 *       A server (accepts, echoes every byte back) and a client (one thread
 *       writes BYTES of a seeded stream then shuts its output, another reads
 *       the echo) in one JVM, over loopback: blocking java.net.Socket on both
 *       ends. SHA-256 of what was sent, what the server read, what came back.
 *   java JavaSockets close LINGER0
 *       A peer that accepts and never reads; a thread writes 64 KiB blocks
 *       until it blocks (no progress for 500 ms), then the main thread calls
 *       Socket.close() and measures how long the blocked write takes to end,
 *       and with what. LINGER0=true sets SO_LINGER 0 first (the JVM then skips
 *       the shutdown and only dup2()s and signals).
 *   java JavaSockets wedge MS
 *       The same blocked writer, but nobody closes: waits up to MS for the
 *       write to end by itself and reports how long after its last progress.
 * Every line says whether libunwedge is mapped into the JVM.
 */
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

public class JavaSockets {
	static String hex(MessageDigest md) {
		return HexFormat.of().formatHex(md.digest());
	}

	static String quote(String s) {
		return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
	}

	static String mapped() throws Exception {
		return "\"unwedge_mapped\": " + Files.readString(Paths.get("/proc/self/maps")).contains("libunwedge") + ", ";
	}

	public static void main(String[] args) throws Exception {
		if (args[0].equals("exchange"))
			exchange(Long.parseLong(args[1]));
		else if (args[0].equals("close"))
			blocked(true, Boolean.parseBoolean(args[1]), 0);
		else if (args[0].equals("wedge"))
			blocked(false, false, Long.parseLong(args[1]));
		else
			throw new IllegalArgumentException(args[0]);
		System.out.flush();
		Runtime.getRuntime().halt(0);
	}

	static void exchange(long total) throws Exception {
		InetAddress lo = InetAddress.getLoopbackAddress();
		ServerSocket ss = new ServerSocket(0, 1, lo);
		final long[] serverRead = {0};
		final String[] serverSha = {null};
		Thread server = new Thread(() -> {
			try (Socket s = ss.accept()) {
				MessageDigest md = MessageDigest.getInstance("SHA-256");
				InputStream in = s.getInputStream();
				OutputStream out = s.getOutputStream();
				byte[] b = new byte[65536];
				int n;
				while ((n = in.read(b)) > 0) {
					md.update(b, 0, n);
					serverRead[0] += n;
					out.write(b, 0, n);
				}
				s.shutdownOutput();
				serverSha[0] = hex(md);
			} catch (Exception e) {
				serverSha[0] = "error: " + e;
			}
		});
		server.start();
		Socket c = new Socket(lo, ss.getLocalPort());
		final String[] sentSha = {null};
		Thread writer = new Thread(() -> {
			try {
				MessageDigest md = MessageDigest.getInstance("SHA-256");
				Random r = new Random(42);
				OutputStream out = c.getOutputStream();
				byte[] b = new byte[100000];
				long sent = 0;
				while (sent < total) {
					r.nextBytes(b);
					int n = (int) Math.min(b.length, total - sent);
					md.update(b, 0, n);
					out.write(b, 0, n);
					sent += n;
				}
				c.shutdownOutput();
				sentSha[0] = hex(md);
			} catch (Exception e) {
				sentSha[0] = "error: " + e;
			}
		});
		writer.start();
		MessageDigest md = MessageDigest.getInstance("SHA-256");
		InputStream in = c.getInputStream();
		byte[] b = new byte[65536];
		long echoed = 0;
		int n;
		while ((n = in.read(b)) > 0) {
			md.update(b, 0, n);
			echoed += n;
		}
		writer.join();
		server.join();
		c.close();
		System.out.println("{" + mapped() + "\"sent\": " + total + ", \"sent_sha\": " + quote(sentSha[0]) + ", \"server_read\": "
				   + serverRead[0] + ", \"server_sha\": " + quote(serverSha[0]) + ", \"echoed\": " + echoed
				   + ", \"echo_sha\": " + quote(hex(md)) + "}");
	}

	static void blocked(boolean close, boolean linger0, long waitMs) throws Exception {
		InetAddress lo = InetAddress.getLoopbackAddress();
		ServerSocket ss = new ServerSocket(0, 1, lo);
		Socket c = new Socket(lo, ss.getLocalPort());
		Socket peer = ss.accept(); // never read
		if (linger0)
			c.setSoLinger(true, 0);
		AtomicLong written = new AtomicLong();
		final long[] endNs = {0};
		final Throwable[] failure = {null};
		Thread w = new Thread(() -> {
			try {
				OutputStream out = c.getOutputStream();
				byte[] b = new byte[65536];
				for (;;) {
					out.write(b);
					written.addAndGet(b.length);
				}
			} catch (Throwable t) {
				endNs[0] = System.nanoTime();
				failure[0] = t;
			}
		});
		w.setDaemon(true);
		w.start();
		// Blocked: no progress for 500 ms (at most 10 s).
		long last = -1, since = System.nanoTime(), limit = System.nanoTime() + 10_000_000_000L;
		while (System.nanoTime() < limit && failure[0] == null) {
			long now = written.get();
			if (now != last) {
				last = now;
				since = System.nanoTime();
			} else if (System.nanoTime() - since > 500_000_000L) {
				break;
			}
			Thread.sleep(20);
		}
		boolean blocked = failure[0] == null && w.isAlive();
		long blockedMs = (System.nanoTime() - since) / 1_000_000;
		long t0 = System.nanoTime(), closeMs = -1;
		if (close) {
			c.close();
			closeMs = (System.nanoTime() - t0) / 1_000_000;
			w.join(5000);
		} else {
			t0 = since;
			w.join(waitMs);
		}
		// close: from close(); wedge: from the last progress.
		long endMs = endNs[0] == 0 ? -1 : (endNs[0] - t0) / 1_000_000;
		Throwable f = failure[0];
		System.out.println("{" + mapped() + "\"blocked\": " + blocked + ", \"written\": " + written.get() + ", \"blocked_ms\": "
				   + blockedMs + ", \"close_ms\": " + closeMs + ", \"end_ms\": " + endMs
				   + ", \"writer_alive\": " + w.isAlive() + ", \"exception\": "
				   + quote(f == null ? null : f.getClass().getName()) + ", \"message\": "
				   + quote(f == null ? null : f.getMessage()) + "}");
		peer.close();
	}
}
