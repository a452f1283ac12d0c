// Imported first by main.ts, before anything uses libuv's threadpool: writes to
// cgroup.procs wait in the kernel (for an RCU grace period on cgroup v1) for
// milliseconds each, and with the default 4 threads a burst of pod starts would queue
// every other file operation behind them.
process.env['UV_THREADPOOL_SIZE'] ??= '32';
