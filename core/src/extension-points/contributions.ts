import type { Container, ServiceIdentifier } from 'inversify';

/**
 * Reads an extension point: the built-in contributions bound in the agent's container
 * plus those of every registered plugin, each plugin living in its own child container.
 * An extension point nobody contributes to is an empty list, never an error.
 */
export class Contributions {
  private readonly plugins = new Map<string, Container>();
  private readonly cache = new Map<ServiceIdentifier, readonly unknown[]>();

  constructor(private readonly root: Container) {}

  /** Built-ins first, then plugins in name order, so admission order does not depend on registration timing. */
  getAll<T>(id: ServiceIdentifier<T>): readonly T[] {
    const cached = this.cache.get(id);
    if (cached) return cached as readonly T[];
    const all: T[] = this.root.isBound(id) ? [...this.root.getAll<T>(id)] : [];
    for (const name of [...this.plugins.keys()].sort()) {
      const child = this.plugins.get(name) as Container;
      if (child.isCurrentBound(id)) all.push(...child.getAll<T>(id));
    }
    this.cache.set(id, all);
    return all;
  }

  addPlugin(name: string, container: Container): void {
    this.plugins.set(name, container);
    this.cache.clear();
  }

  removePlugin(name: string): void {
    if (this.plugins.delete(name)) this.cache.clear();
  }
}
