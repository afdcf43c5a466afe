export { startFakeGoogle, type FakeGoogleOptions, type FakeGoogleUpstream } from './server.js'
export { fakeAccessToken } from './token-endpoint.js'
export { googleUsage } from './generate-answer.js'
