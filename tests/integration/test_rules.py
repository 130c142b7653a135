"""UNWEDGE_RULES scopes unwedge by peer: a rule gives a socket its own deadline,
or turns unwedge off for it (no deadline, no TCP_USER_TIMEOUT). The first rule
that matches decides; a socket no rule matches gets UNWEDGE_TIMEOUT.
UNWEDGE_ONLY_CMDS / UNWEDGE_SKIP_CMDS scope by program name."""

import os
import re
import shutil

from harness import BUILD, Scratch, WCLIENT, base_env, check, client, finish, preload_env, spawn, test

T_MS = 1000


def port_of(addr):
    return int(addr.rsplit(":", 1)[1])


def wedge(kind, env, limit):
    """(result or None if still blocked at limit seconds, stderr)."""
    with Scratch() as s:
        peer = s.peer(kind, "never")
        return client(peer.addr, "write", env, ["--total", 64 << 20], timeout=limit), peer.addr


def rule_env(rules, **kw):
    return preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_RULES=rules, **kw)


@test("rules/off-by-port")
def off_by_port():
    with Scratch() as s:
        quiet = s.peer("tcp4", "never")
        other = s.peer("tcp4", "never")
        env = rule_env("port:%d = off" % port_of(quiet.addr))
        res, err = client(quiet.addr, "write", env, ["--total", 64 << 20], timeout=T_MS / 1000 + 1.5)
        check(res is None, "a socket the rule turns off still timed out: %s %s" % (res, err))
        res, err = client(other.addr, "write", env, ["--total", 64 << 20])
    check(res is not None and res["errno"] == "ETIMEDOUT" and T_MS <= res["short_ms"] <= T_MS + 500,
          "a socket no rule matches must keep the global deadline: %s" % res)
    check("rule=" not in err, "no rule matched, yet the log names one: %r" % err)


@test("rules/off-means-no-user-timeout")
def off_no_uto():
    with Scratch() as s:
        peer = s.peer("tcp4", "drain")
        res, err = client(peer.addr, "write", rule_env("net:127.0.0.0/8 = off"), ["--total", 1 << 20])
    check(res["uto_connect"] == 0 and res["uto_write"] == 0, "TCP_USER_TIMEOUT set on an off socket: %s" % res)
    with Scratch() as s:
        peer = s.peer("tcp4", "drain")
        res, err = client(peer.addr, "write", rule_env("net:10.0.0.0/8 = off"), ["--total", 1 << 20])
    check(res["uto_connect"] == T_MS, "control: the user timeout should be set without a match: %s" % res)


@test("rules/own-deadline-by-network")
def own_deadline():
    env = preload_env(UNWEDGE_TIMEOUT="20s", UNWEDGE_RULES="net:192.0.2.0/24 = off; net:127.0.0.0/8 = 400ms")
    res, addr = wedge("tcp4", env, 10)
    res, err = res
    check(res is not None and res["errno"] == "ETIMEDOUT", "%s" % res)
    check(400 <= res["short_ms"] <= 900, "failed after %.0f ms, want the rule's 400..900" % res["short_ms"])
    check(re.search(r" rule=2 .*deadline=idle:0\.400s", err), "the log should name rule 2: %r" % err)
    check(res["uto_connect"] == 400, "the user timeout follows the rule's deadline: %s" % res)


@test("rules/deadline-with-global-timeout-off")
def only_rules():
    # UNWEDGE_TIMEOUT=off: only what a rule names is guarded.
    env = preload_env(UNWEDGE_TIMEOUT="off", UNWEDGE_RULES="tcp6 = 500ms")
    (res, err), _ = wedge("tcp6", env, 10)
    check(res is not None and res["errno"] == "ETIMEDOUT" and 500 <= res["short_ms"] <= 1000, "%s" % res)
    (res, err), _ = wedge("tcp4", env, 2)
    check(res is None, "a tcp4 socket matched a tcp6 rule: %s" % res)


@test("rules/unix-path-prefix")
def unix_path():
    with Scratch() as s:
        d = os.path.join(s.dir, "db")
        os.mkdir(d)
        env = rule_env("path:%s/ = off" % d)
        peer = s.peer("unix", "never")
        res, err = client(peer.addr, "write", env, ["--total", 64 << 20])
        check(res is not None and res["errno"] == "ETIMEDOUT", "outside the prefix: %s" % res)
        # The same kind of peer, under the prefix.
        from harness import Peer
        p2 = Peer("unix", "never", d)
        s.peers.append(p2)
        res, err = client(p2.addr, "write", env, ["--total", 64 << 20], timeout=T_MS / 1000 + 1.5)
    check(res is None, "a socket under path:%s/ still timed out: %s" % (d, res))


@test("rules/bad-value", production_only=True)
def bad_rules():
    with Scratch() as s:
        peer = s.peer("tcp4", "drain")
        res, err = client(peer.addr, "write", rule_env("port:443 = 5s; port:http = off"), ["--total", 1000])
    check(res is not None and res["bytes"] == 1000, "the program must run: %s" % res)
    check(err.count("\n") == 1 and "UNWEDGE_RULES='port:443 = 5s; port:http = off' is invalid: rule 2: "
          "expected a port 1 to 65535" in err and "disabled" in err, "message: %r" % err)


def named_copy(s, name):
    path = os.path.join(s.dir, name)
    shutil.copy(WCLIENT, path)
    return path


def cmd_case(name, env_extra, want_timeout):
    with Scratch() as s:
        prog = named_copy(s, name)
        peer = s.peer("tcp4", "never")
        env = preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, **env_extra)
        out, err, rc = finish(spawn([prog, peer.addr, "write", "--total", str(64 << 20)], env=env),
                              T_MS / 1000 + (5 if want_timeout else 1.5))
    if want_timeout:
        check(rc is not None and "write timed out" in err, "%s with %s: not protected: %r" % (name, env_extra, err))
    else:
        check(rc is None, "%s with %s: protected, should be out of scope: %r" % (name, env_extra, err))
    check("unwedge: UNWEDGE" not in (err or ""), "a scoping setting printed a complaint: %r" % err)


@test("cmds/only")
def only_cmds():
    cmd_case("api-server", {"UNWEDGE_ONLY_CMDS": "nginx,api-server"}, True)
    cmd_case("batch-job", {"UNWEDGE_ONLY_CMDS": "nginx,api-server"}, False)


@test("cmds/skip")
def skip_cmds():
    cmd_case("batch-job", {"UNWEDGE_SKIP_CMDS": "batch-job"}, False)
    cmd_case("api-server", {"UNWEDGE_SKIP_CMDS": "batch-job"}, True)


@test("cmds/inherited-by-children")
def inherited():
    # The variables pass through a shell that is itself out of scope; the
    # program it starts decides for itself.
    with Scratch() as s:
        prog = named_copy(s, "api-server")
        peer = s.peer("tcp4", "never")
        env = preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_ONLY_CMDS="api-server")
        out, err, rc = finish(spawn(["sh", "-c", '"$0" "$@"; echo rc=$?', prog, peer.addr, "write", "--total",
                                     str(64 << 20)], env=env), 6)
    check(rc == 0 and "write timed out" in err and "rc=0" in out, "child not protected: %r %r" % (out, err))
