import { UpstreamError, type StreamPart, type ToolDefinition } from '@modelmesh/core'
import { expect } from 'vitest'
import { chatRequest, collectParts, within, type CheckEnv } from './check-helpers.js'
import type { ProviderCheck } from './provider-check.js'

const REPLY = 'Hello from the conformance suite.'
const USAGE = { prompt_tokens: 11, completion_tokens: 7, cached_tokens: 3, reasoning_tokens: 2 }
const WEATHER_TOOL: ToolDefinition = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
}
const TOOL_ARGUMENTS = { city: 'Paris', unit: 'celsius' }

const chat = (env: CheckEnv, extra = {}) => within(env.provider.doChat(chatRequest(env.model, extra), env.context()), 'doChat')
const stream = async (env: CheckEnv, extra = {}): Promise<StreamPart[]> =>
  collectParts(await within(env.provider.doStream(chatRequest(env.model, extra), env.context()), 'doStream'))

const partsOf = <T extends StreamPart['type']>(parts: StreamPart[], type: T) =>
  parts.filter((part): part is Extract<StreamPart, { type: T }> => part.type === type)

export const chatChecks: ProviderCheck[] = [
  {
    name: "doChat returns the text, finishReason 'stop' and the token usage",
    feature: 'chat',
    async run(env) {
      env.upstream.script({ reply: REPLY, usage: USAGE })
      const response = await chat(env)
      expect(typeof response.id).toBe('string')
      expect(typeof response.model).toBe('string')
      const text = response.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('')
      expect(text).toBe(REPLY)
      expect(response.finishReason.unified).toBe('stop')
      expect(response.usage.inputTokens).toBe(USAGE.prompt_tokens)
      expect(response.usage.outputTokens).toBe(USAGE.completion_tokens)
    },
  },
  {
    name: 'doChat maps cached input tokens and reasoning tokens',
    feature: 'chat',
    async run(env) {
      env.upstream.script({ reply: REPLY, usage: USAGE })
      const { usage } = await chat(env)
      expect(usage.cachedInputTokens).toBe(USAGE.cached_tokens)
      expect(usage.reasoningTokens).toBe(USAGE.reasoning_tokens)
    },
  },
  {
    name: "doChat returns tool calls with their JSON arguments and finishReason 'tool-calls'",
    feature: 'tools',
    async run(env) {
      env.upstream.script({ toolCalls: [{ id: 'call_conformance', name: 'get_weather', arguments: TOOL_ARGUMENTS }] })
      const response = await chat(env, { tools: [WEATHER_TOOL] })
      const toolCalls = response.content.filter((part) => part.type === 'tool-call')
      expect(toolCalls).toHaveLength(1)
      expect(toolCalls[0]).toMatchObject({ id: 'call_conformance', name: 'get_weather' })
      expect(JSON.parse((toolCalls[0] as { arguments: string }).arguments)).toEqual(TOOL_ARGUMENTS)
      expect(response.finishReason.unified).toBe('tool-calls')
    },
  },
  {
    name: 'doChat throws an UpstreamError carrying the status on an upstream 500',
    feature: 'chat',
    async run(env) {
      env.upstream.script({ status: 500 })
      const error = await chat(env).then(
        () => undefined,
        (thrown: unknown) => thrown,
      )
      expect(UpstreamError.isInstance(error), `expected an UpstreamError, got: ${String(error)}`).toBe(true)
      expect((error as UpstreamError).status).toBe(500)
    },
  },
  {
    name: 'doChat stops waiting when ctx.signal aborts',
    feature: 'abort',
    async run(env) {
      const controller = new AbortController()
      env.upstream.script(() => {
        controller.abort()
        return { hang: true }
      })
      const outcome = env.provider.doChat(chatRequest(env.model), env.context(controller.signal)).then(
        () => 'resolved',
        () => 'rejected',
      )
      // A provider that ignores the signal never settles: `within` then fails the check.
      expect(await within(outcome, 'doChat after ctx.signal aborted', 2_000)).toBe('rejected')
      expect(env.upstream.calls).toHaveLength(1)
    },
  },
]

export const streamChecks: ProviderCheck[] = [
  {
    name: 'doStream yields start, text deltas, usage and finish, in that order',
    feature: 'stream',
    async run(env) {
      env.upstream.script({ reply: REPLY, usage: USAGE, chunkSize: 4 })
      const parts = await stream(env)
      const types = parts.map((part) => part.type)
      expect(types[0], `first part must be 'start'; got ${types.join(', ')}`).toBe('start')
      expect(types.at(-1), `last part must be 'finish'; got ${types.join(', ')}`).toBe('finish')
      expect(partsOf(parts, 'error')).toEqual([])
      const deltas = partsOf(parts, 'text-delta')
      expect(deltas.length, 'text must arrive as several deltas, not buffered whole').toBeGreaterThan(1)
      expect(deltas.map((part) => part.delta).join('')).toBe(REPLY)
      const usage = partsOf(parts, 'usage')
      expect(usage, 'exactly one usage part').toHaveLength(1)
      expect(types.indexOf('usage')).toBeGreaterThan(types.lastIndexOf('text-delta'))
      expect(usage[0]?.usage.inputTokens).toBe(USAGE.prompt_tokens)
      expect(usage[0]?.usage.outputTokens).toBe(USAGE.completion_tokens)
      const finish = partsOf(parts, 'finish')
      expect(finish).toHaveLength(1)
      expect(finish[0]?.finishReason.unified).toBe('stop')
    },
  },
  {
    name: "doStream yields tool-call deltas that assemble into the arguments, finishing with 'tool-calls'",
    feature: 'tools',
    async run(env) {
      env.upstream.script({ toolCalls: [{ id: 'call_conformance', name: 'get_weather', arguments: TOOL_ARGUMENTS }], chunkSize: 6 })
      const parts = await stream(env, { tools: [WEATHER_TOOL] })
      const deltas = partsOf(parts, 'tool-call-delta')
      expect(deltas.length).toBeGreaterThan(1)
      expect(deltas.every((part) => part.index === 0)).toBe(true)
      expect(deltas.find((part) => part.name !== undefined)).toMatchObject({ id: 'call_conformance', name: 'get_weather' })
      expect(JSON.parse(deltas.map((part) => part.argumentsDelta).join(''))).toEqual(TOOL_ARGUMENTS)
      expect(partsOf(parts, 'finish')[0]?.finishReason.unified).toBe('tool-calls')
      expect(parts.at(-1)?.type).toBe('finish')
    },
  },
  {
    name: 'doStream reports a dropped upstream connection (error part or throw), never a clean finish',
    feature: 'stream',
    async run(env) {
      env.upstream.script({ reply: REPLY, chunkSize: 2, disconnectAfterChunks: 3 })
      let parts: StreamPart[] = []
      let thrown: unknown
      try {
        parts = await stream(env)
      } catch (error) {
        thrown = error
      }
      if (thrown !== undefined) return
      const types = parts.map((part) => part.type)
      expect(types.at(-1), `a broken stream must end with an 'error' part; got ${types.join(', ')}`).toBe('error')
      expect(partsOf(parts, 'finish').filter((part) => part.finishReason.unified === 'stop')).toEqual([])
    },
  },
]
