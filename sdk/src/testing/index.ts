// Test helpers for plugin authors: real agent and plugin processes on a temp root dir,
// and a fake agent that drives a plugin over its real socket.
export { makeTempRootDir, type TempRootDir } from './temp-root-dir.js';
export { freePort } from './free-port.js';
export { ProcessHandle, type LogLine } from './process-handle.js';
export { AGENT_NODE_FLAGS, AgentProcess, kerneletBin, runtimeArgs, startAgent, type PluginEntry, type StartAgentOptions } from './start-agent.js';
export { startPlugin, type StartPluginOptions } from './start-plugin.js';
export { registerWithFakeAgent, type FakeAgentOptions, type FakeAgentSession } from './fake-agent.js';
export { seededRandom } from './seeded-random.js';
export { simpleHintMasks, simpleNarrowestFittingWidth } from './simple-hint-masks.js';
