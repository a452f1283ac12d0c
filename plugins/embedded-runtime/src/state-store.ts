import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { messageOf } from './errors.js';
import { containerFromJson, containerToJson, sandboxFromJson, sandboxToJson, type ContainerRecord, type SandboxRecord } from './records.js';

/**
 * Sandboxes and containers as JSON under <root>/state/, so a restarted runtime lists them:
 *   sandboxes/<id>.json
 *   containers/<id>/container.json   (beside the container's stdout/stderr FIFOs)
 * Each write replaces the file atomically (write, then rename); writes of one object
 * are applied in order.
 */
export class StateStore {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  get sandboxesDir(): string {
    return join(this.dir, 'sandboxes');
  }

  get containersDir(): string {
    return join(this.dir, 'containers');
  }

  containerDir(id: string): string {
    return join(this.containersDir, id);
  }

  async init(): Promise<void> {
    await mkdir(this.sandboxesDir, { recursive: true, mode: 0o700 });
    await mkdir(this.containersDir, { recursive: true, mode: 0o700 });
  }

  async loadSandboxes(): Promise<SandboxRecord[]> {
    const records: SandboxRecord[] = [];
    for (const name of await readdir(this.sandboxesDir)) {
      if (!name.endsWith('.json')) continue;
      const path = join(this.sandboxesDir, name);
      try {
        records.push(sandboxFromJson(JSON.parse(await readFile(path, 'utf8'))));
      } catch (err) {
        this.logger.warn({ path, err: messageOf(err) }, 'ignoring unreadable sandbox state');
      }
    }
    return records;
  }

  async loadContainers(): Promise<ContainerRecord[]> {
    const records: ContainerRecord[] = [];
    for (const id of await readdir(this.containersDir)) {
      const path = join(this.containersDir, id, 'container.json');
      try {
        records.push(containerFromJson(JSON.parse(await readFile(path, 'utf8'))));
      } catch (err) {
        this.logger.warn({ path, err: messageOf(err) }, 'ignoring unreadable container state');
      }
    }
    return records;
  }

  saveSandbox(record: SandboxRecord): Promise<void> {
    const text = JSON.stringify(sandboxToJson(record));
    return this.enqueue(`s/${record.id}`, () => atomicWrite(join(this.sandboxesDir, `${record.id}.json`), text));
  }

  removeSandbox(id: string): Promise<void> {
    return this.enqueue(`s/${id}`, () => rm(join(this.sandboxesDir, `${id}.json`), { force: true }));
  }

  saveContainer(record: ContainerRecord): Promise<void> {
    const text = JSON.stringify(containerToJson(record));
    return this.enqueue(`c/${record.id}`, () => atomicWrite(join(this.containerDir(record.id), 'container.json'), text));
  }

  removeContainer(id: string): Promise<void> {
    return this.enqueue(`c/${id}`, () => rm(this.containerDir(id), { recursive: true, force: true }));
  }

  private enqueue(key: string, write: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(write, write);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}
