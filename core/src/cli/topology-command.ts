import { readFile } from 'node:fs/promises';
import { hintToJSON, HintsDocumentError, parseDistancesDocument, parseHintsDocument } from '../topology/hints-document.js';
import { mergeHints } from '../topology/merge-hints.js';
import { NUMAInfo } from '../topology/numa-info.js';
import { isPolicyName, POLICY_NAMES } from '../topology/policy.js';
import { assertNUMANodesAllowed, DEFAULT_POLICY_OPTIONS, MAX_ALLOWABLE_NUMA_NODES, parsePolicyOptions } from '../topology/policy-options.js';
import { isScopeName, SCOPE_NAMES } from '../topology/scope.js';
import { TopologyConfigError } from '../topology/topology-config-error.js';
import type { Command } from './command.js';
import type { CommandStreams } from './machine-command.js';

const USAGE = `usage: kernelet topology merge --policy POLICY [--scope SCOPE] [--options K=V,...]
                               --numa-nodes IDS [--distances FILE] HINTS.json

Merges hint providers' NUMA hints as the topology manager does at admission and prints
  {"bestHint":{"numaAffinity":[...]|null,"preferred":bool},"admit":bool}

  --policy POLICY     ${POLICY_NAMES.join(' | ')}
  --scope SCOPE       ${SCOPE_NAMES.join(' | ')} (default container; the hints file holds one merge either way)
  --options K=V,...   topology manager policy options, e.g. prefer-closest-numa-nodes=true
  --numa-nodes IDS    the machine's NUMA node ids, e.g. 0,1,2,3 or 0-3
  --distances FILE    {"<node id>": [distance to each node, in --numa-nodes order]}
  HINTS.json          {"<provider>": {"<resource>": [{"numaAffinity": [0,1] | null, "preferred": true}]}}
                      (an empty list: no possible placement; a missing resource or a null
                      provider: no preference; "numaAffinity": [] names no node and never wins)
`;

class UsageError extends Error {}

/** `kernelet topology merge`: the topology manager's decision for a hints file, without a node. */
export function createTopologyCommand(streams: CommandStreams = { stdout: process.stdout, stderr: process.stderr }): Command {
  return {
    name: 'topology',
    summary: 'merge NUMA hints as the topology manager does (topology merge --help)',
    async run(argv) {
      const [verb, ...rest] = argv;
      if (verb === undefined || verb === '-h' || verb === '--help') {
        (verb === undefined ? streams.stderr : streams.stdout).write(USAGE);
        return verb === undefined ? 2 : 0;
      }
      if (verb !== 'merge') {
        streams.stderr.write(`kernelet topology: unknown subcommand "${verb}" (want merge)\n${USAGE}`);
        return 2;
      }
      if (rest.includes('-h') || rest.includes('--help')) {
        streams.stdout.write(USAGE);
        return 0;
      }
      try {
        const result = await merge(rest);
        streams.stdout.write(`${JSON.stringify({ bestHint: hintToJSON(result.bestHint), admit: result.admit })}\n`);
        return 0;
      } catch (err) {
        if (err instanceof UsageError) {
          streams.stderr.write(`kernelet topology merge: ${err.message}\n${USAGE}`);
          return 2;
        }
        if (err instanceof HintsDocumentError || err instanceof TopologyConfigError) {
          streams.stderr.write(`kernelet topology merge: ${err.message}\n`);
          return 1;
        }
        throw err;
      }
    },
  };
}

export const topologyCommand: Command = createTopologyCommand();

const VALUE_FLAGS = new Set(['--policy', '--scope', '--options', '--numa-nodes', '--distances']);

async function merge(argv: readonly string[]): Promise<ReturnType<typeof mergeHints>> {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown flag "${name}"`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    if (flags.has(name)) throw new UsageError(`${name} given twice`);
    flags.set(name, value);
  }
  if (positional.length !== 1) throw new UsageError(positional.length === 0 ? 'missing the HINTS.json file' : `one hints file, got ${positional.length}: ${positional.join(' ')}`);
  const hintsFile = positional[0] as string;

  const policy = flags.get('--policy');
  if (policy === undefined) throw new UsageError('--policy is required');
  if (!isPolicyName(policy)) throw new TopologyConfigError('--policy', policy, `unknown policy "${policy}" (want ${POLICY_NAMES.join('|')})`);
  const scope = flags.get('--scope') ?? 'container';
  if (!isScopeName(scope)) throw new TopologyConfigError('--scope', scope, `unknown scope "${scope}" (want ${SCOPE_NAMES.join('|')})`);
  // Upstream reads no option under the none policy; neither does the merge.
  const options = policy === 'none' ? DEFAULT_POLICY_OPTIONS : parsePolicyOptions(parseOptionList(flags.get('--options') ?? ''), { field: '--options' });
  const nodesText = flags.get('--numa-nodes');
  if (nodesText === undefined) throw new UsageError('--numa-nodes is required');
  const nodes = parseNodeList(nodesText);

  const distancesFile = flags.get('--distances');
  const distances = distancesFile === undefined ? new Map() : parseDistancesDocument(await readJSON(distancesFile), distancesFile, nodes);
  const numa = new NUMAInfo(nodes, distances);
  if (options.preferClosestNUMA && distancesFile === undefined)
    throw new TopologyConfigError('--options', 'prefer-closest-numa-nodes=true', 'prefer-closest-numa-nodes needs --distances');
  // Where the kubelet refuses to create its topology manager: the machine has too many nodes for an explicit limit.
  if (policy !== 'none') assertNUMANodesAllowed(options, nodes.length, `--options ${MAX_ALLOWABLE_NUMA_NODES}`);
  const { hints } = parseHintsDocument(await readJSON(hintsFile), hintsFile, nodes);
  return mergeHints(hints, { policy, numa, options });
}

function parseOptionList(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const pair of text.split(',').filter((p) => p.trim() !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TopologyConfigError('--options', pair, `"${pair}" is not KEY=VALUE`);
    const key = pair.slice(0, eq).trim();
    if (options.has(key)) throw new TopologyConfigError('--options', pair, `option "${key}" given twice`);
    options.set(key, pair.slice(eq + 1).trim());
  }
  return options;
}

/** Node ids in the order given ("0,1,2", "0-3", "4,0-2"), which is the order of distance rows. */
function parseNodeList(text: string): number[] {
  const ids: number[] = [];
  for (const part of text.split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (range === null) throw new TopologyConfigError('--numa-nodes', text, `"${part}" is not a NUMA node id or range`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (to < from || to - from > 4096) throw new TopologyConfigError('--numa-nodes', text, `bad range "${part.trim()}"`);
    for (let id = from; id <= to; id++) {
      if (ids.includes(id)) throw new TopologyConfigError('--numa-nodes', text, `NUMA node ${id} listed twice`);
      ids.push(id);
    }
  }
  return ids;
}

async function readJSON(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new HintsDocumentError(file, '', `cannot read: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HintsDocumentError(file, '', `not valid JSON: ${(err as Error).message}`);
  }
}
