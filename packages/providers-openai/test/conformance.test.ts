import { closeUpstreamClients } from '@modelmesh/core'
import { testProvider } from '@modelmesh/testkit'
import { afterAll } from 'vitest'
import { groq, openai } from '../src/index.js'

// The shared pool outlives each suite's fake upstream; close it once the file is done.
afterAll(() => closeUpstreamClients())

testProvider({ name: 'openai', create: ({ baseURL }) => openai({ baseURL, keys: ['test-key'] }) })

// A preset is the same implementation with other defaults; one of them proves the wiring.
testProvider({ name: 'groq preset', create: ({ baseURL }) => groq({ baseURL, keys: ['test-key'] }) })
