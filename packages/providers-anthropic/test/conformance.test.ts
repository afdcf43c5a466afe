import { closeUpstreamClients } from '@modelmesh/core'
import { startFakeAnthropic, testProvider } from '@modelmesh/testkit'
import { afterAll } from 'vitest'
import { anthropic } from '../src/index.js'

afterAll(() => closeUpstreamClients())

testProvider({
  name: 'anthropic',
  create: ({ baseURL }) => anthropic({ baseURL, keys: ['test-key'] }),
  startUpstream: startFakeAnthropic,
  model: 'claude-sonnet-4-5',
  authHeader: { name: 'x-api-key', value: (key) => key },
})
