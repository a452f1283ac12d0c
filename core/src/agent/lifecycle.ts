/**
 * A part of the agent with something to start and stop (a listener, a watcher, child
 * processes). The agent starts them in the order their modules are listed and stops
 * them in reverse.
 */
export interface Startable {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
export const Startable = Symbol('Startable');

/** The agent's root container, for parts that make child containers (one per plugin). */
export const AgentContainer = Symbol('AgentContainer');
