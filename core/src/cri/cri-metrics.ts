import { Counter, Histogram, type Registry } from 'prom-client';

/** Upstream's runtime operation metrics (pkg/kubelet/metrics): one series per CRI method. */
export class CriMetrics {
  readonly operations: Counter<'operation_type'>;
  readonly errors: Counter<'operation_type'>;
  readonly duration: Histogram<'operation_type'>;

  constructor(registry: Registry) {
    this.operations = new Counter({
      name: 'kubelet_runtime_operations_total',
      help: 'Cumulative number of runtime operations by operation type.',
      labelNames: ['operation_type'],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'kubelet_runtime_operations_errors_total',
      help: 'Cumulative number of runtime operation errors by operation type.',
      labelNames: ['operation_type'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'kubelet_runtime_operations_duration_seconds',
      help: 'Duration in seconds of runtime operations, by operation type.',
      labelNames: ['operation_type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
  }
}
