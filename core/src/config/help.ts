/** `kernelet --help`: the flags grouped by what they configure, kernelet's own flags last. */
import { FLAG_SPECS, type FlagGroup, type FlagSpec } from './flags.js';

const GROUP_TITLES: readonly (readonly [FlagGroup, string])[] = [
  ['config', 'Configuration sources'],
  ['node', 'Node identity and registration'],
  ['runtime', 'Container runtime and images'],
  ['pod-sources', 'Pods: sources, sync and limits'],
  ['resources', 'Resources: cgroups, CPU/Memory/Topology Managers, reservations'],
  ['eviction', 'Eviction'],
  ['server', 'Kubelet API server, authentication and authorization'],
  ['logging', 'Logging'],
  ['no-effect', 'Accepted for compatibility, no effect in kernelet (each use is warned about once)'],
  ['kernelet', 'kernelet (not kubelet flags): plugins and machine topology'],
];

const WIDTH = 100;
const INDENT = 6;

export interface HelpCommand {
  name: string;
  summary: string;
}

/** The full --help text. `commands` are the subcommands to list. */
export function helpText(commands: readonly HelpCommand[] = []): string {
  const out: string[] = [
    'kernelet: the Kubernetes node agent (kubelet) as a plugin-based microkernel.',
    '',
    'Usage:',
    '  kernelet [flags]                 run the agent',
    '  kernelet <command> [flags]       run a subcommand',
    '',
    'The flags are the kubelet\'s, with the same names and syntax ("-" and "_" are interchangeable).',
    'Precedence, lowest first: --feature-gates < --config file < --config-dir drop-ins < other flags.',
    'As upstream, the flags that set a KubeletConfiguration field are deprecated in favour of --config',
    '(except -v, --vmodule, --log-flush-frequency, --provider-id, --seccomp-default, --fail-cgroupv1);',
    'they still work, with a warning.',
  ];
  if (commands.length > 0) {
    out.push('', 'Commands:');
    const width = Math.max(...commands.map((c) => c.name.length));
    for (const command of commands) out.push(`  ${command.name.padEnd(width)}  ${command.summary}`);
  }
  for (const [group, title] of GROUP_TITLES) {
    const specs = FLAG_SPECS.filter((spec) => spec.group === group);
    if (specs.length === 0) continue;
    out.push('', `${title}:`);
    for (const spec of specs) out.push(...formatFlag(spec));
  }
  out.push('');
  return out.join('\n');
}

function formatFlag(spec: FlagSpec): string[] {
  const short = spec.shorthand !== undefined ? `-${spec.shorthand}, ` : '';
  const value = spec.type === 'bool' ? '' : ` ${spec.valueName ?? 'VALUE'}`;
  const head = `  ${short}--${spec.name}${value}`;
  const deprecated = spec.deprecated !== undefined ? ` Deprecated: ${spec.deprecated}.` : '';
  const text = `${spec.help}${spec.defaultText !== undefined ? ` (default: ${spec.defaultText})` : ''}${deprecated}`;
  return [head, ...wrap(text, WIDTH - INDENT).map((line) => `${' '.repeat(INDENT)}${line}`)];
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
