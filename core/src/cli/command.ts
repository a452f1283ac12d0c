/** A `kernelet <name>` subcommand. The agent itself runs when no subcommand is named. */
export interface Command {
  name: string;
  /** One line for `kernelet --help`. */
  summary: string;
  /** Returns the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}
