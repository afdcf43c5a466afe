import { defineConfig, secret } from '@modelmesh/core'
import { openai } from '@modelmesh/providers-openai'

// `npm run demo` starts the testkit's fake OpenAI upstream on 127.0.0.1:4010 and this gateway on
// 127.0.0.1:4000, so everything works offline. Point any OpenAI SDK at http://127.0.0.1:4000/v1.
const fakeUpstream = process.env.MESH_FAKE_UPSTREAM ?? 'http://127.0.0.1:4010/v1'

export default defineConfig({
  server: { host: '127.0.0.1', port: Number(process.env.MESH_PORT ?? 4000) },
  providers: {
    local: openai({ baseURL: fakeUpstream, keys: ['fake-key'] }),
    // Real providers take their keys from the environment (or a .env file via dotenvSecrets()):
    //   openai: openai({ keys: [secret('OPENAI_API_KEY')] }),
    //   groq: groq({ keys: [secret('GROQ_API_KEY')] }),   // import { groq } from '@modelmesh/providers-openai'
    ...(process.env.OPENAI_API_KEY ? { openai: openai({ keys: [secret('OPENAI_API_KEY')] }) } : {}),
  },
  models: {
    // One public model name, served by the fake; with OPENAI_API_KEY set, the real one comes first.
    smart: {
      targets: [
        ...(process.env.OPENAI_API_KEY ? [{ provider: 'openai', model: 'gpt-4o-mini' }] : []),
        { provider: 'local', model: 'gpt-4o-mini' },
      ],
      retry: { attempts: 2 },
      timeout: { firstToken: '15s', total: '120s' },
    },
  },
})
