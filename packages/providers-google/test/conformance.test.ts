import { generateKeyPairSync } from 'node:crypto'
import { closeUpstreamClients } from '@modelmesh/core'
import { fakeAccessToken, startFakeGoogle, testProvider, type FakeGoogleUpstream } from '@modelmesh/testkit'
import { afterAll } from 'vitest'
import { google, vertex } from '../src/index.js'

afterAll(() => closeUpstreamClients())

testProvider({
  name: 'google (Gemini API)',
  create: ({ baseURL }) => google({ baseURL, keys: ['test-key'] }),
  startUpstream: startFakeGoogle,
  model: 'gemini-2.5-flash',
  authHeader: { name: 'x-goog-api-key', value: (key) => key },
})

// Vertex: the credential is a service account; the fake checks the signed assertion against its public key.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const CLIENT_EMAIL = 'mesh-test@fake-project.iam.gserviceaccount.com'
let fake: FakeGoogleUpstream | undefined
const serviceAccount = () =>
  JSON.stringify({ type: 'service_account', client_email: CLIENT_EMAIL, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), private_key_id: 'k1', token_uri: fake!.tokenURL })

testProvider({
  name: 'vertex (service account)',
  startUpstream: async () => (fake = await startFakeGoogle({ vertex: true, serviceAccountKeys: { [CLIENT_EMAIL]: publicKey.export({ type: 'spki', format: 'pem' }) as string } })),
  create: () => vertex({ project: 'fake-project', location: 'us-central1', baseURL: fake!.baseURL, serviceAccount: { $secret: 'VERTEX_SA' } }),
  get apiKey() {
    return fake ? serviceAccount() : 'unused-until-the-fake-starts'
  },
  model: 'gemini-2.5-flash',
  authHeader: { name: 'authorization', value: () => `Bearer ${fakeAccessToken(CLIENT_EMAIL)}` },
})
