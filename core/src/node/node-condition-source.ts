/** A condition as a part of the core reports it; the node status adds the timestamps. */
export interface ConditionReport {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** A part of the core that reports a node condition of its own (plugins report theirs through StatusFunc). */
export interface NodeConditionSource {
  conditions(): readonly ConditionReport[];
}
export const NodeConditionSource = Symbol('NodeConditionSource');
