import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { v1alpha1 } from '@kernelet/proto';
import { admit, definePlugin, type AdmitHandlerImpl, type PluginContext } from './define-plugin.js';
import { createPluginLogger } from './logger.js';
import { PluginRuntime } from './plugin-runtime.js';
import { PLUGIN_CONTEXT } from './tokens.js';

const events: string[] = [];

@injectable()
class CountingHandler implements AdmitHandlerImpl {
  constructor(@inject(PLUGIN_CONTEXT) private readonly ctx: PluginContext) {}
  init(): void {
    if ((this.ctx.pluginConfig as { fail?: string }).fail) throw new Error((this.ctx.pluginConfig as { fail: string }).fail);
    events.push(`init ${this.ctx.nodeName}`);
  }
  dispose(): void {
    events.push(`dispose ${this.ctx.nodeName}`);
  }
  admit() {
    return admit();
  }
}

const request = (nodeName: string, pluginConfig = {}) =>
  v1alpha1.ConfigureRequest.fromPartial({ nodeName, kubeletConfigJson: '{}', pluginConfigJson: JSON.stringify(pluginConfig) });

describe('PluginRuntime', () => {
  it('builds class handlers per configuration, runs init and dispose, and ignores a repeated Configure', async () => {
    events.length = 0;
    const runtime = new PluginRuntime(definePlugin({ name: 'counting', admitHandler: CountingHandler }), createPluginLogger('test', 'silent'));
    await runtime.configure(request('a'));
    await runtime.configure(request('a'));
    const first = runtime.require('admitHandler').handler;
    await runtime.configure(request('b'));
    expect(runtime.require('admitHandler').handler).not.toBe(first);
    await runtime.close();
    expect(events).toEqual(['init a', 'init b', 'dispose a', 'dispose b']);
  });

  it('refuses a configuration whose init throws and keeps the previous one', async () => {
    events.length = 0;
    const runtime = new PluginRuntime(definePlugin({ name: 'counting', admitHandler: CountingHandler }), createPluginLogger('test', 'silent'));
    await runtime.configure(request('a'));
    await expect(runtime.configure(request('b', { fail: 'state file is stale: drain the node' }))).rejects.toThrow('state file is stale: drain the node');
    expect(runtime.context?.nodeName).toBe('a');
    await runtime.close();
  });

  it('answers "not configured" before the first Configure', () => {
    const runtime = new PluginRuntime(definePlugin({ name: 'counting', admitHandler: CountingHandler }), createPluginLogger('test', 'silent'));
    expect(() => runtime.require('admitHandler')).toThrow('plugin counting has not been configured by the agent yet');
  });
});
