/* An empty preload: the floor any preload pays at start-up. */
int unwedge_bench_empty;
