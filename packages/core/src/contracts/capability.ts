/**
 * The canonical capability tree. A model registers at leaves; a pool that targets a node collects
 * everything below it (`generation.text` covers `generation.text.chat` and `generation.text.completion`).
 */
export const CAPABILITY_TREE = [
  'generation.text.chat',
  'generation.text.completion',
  'generation.image',
  'generation.audio.speech',
  'representation.text.embedding',
  'understanding.audio.transcription',
  'understanding.image',
  'understanding.file',
  'understanding.audio.input',
  'generation.text.chat.tools',
  'generation.text.chat.json-schema',
  'generation.text.chat.reasoning',
] as const

export type Capability = (typeof CAPABILITY_TREE)[number]

/** Other spellings users already know, mapped onto the tree. */
export const CAPABILITY_ALIASES: Readonly<Record<string, Capability>> = Object.freeze({
  chat: 'generation.text.chat',
  'chat-completion': 'generation.text.chat',
  completion: 'generation.text.completion',
  embedding: 'representation.text.embedding',
  embeddings: 'representation.text.embedding',
  'image-generation': 'generation.image',
  tts: 'generation.audio.speech',
  speech: 'generation.audio.speech',
  stt: 'understanding.audio.transcription',
  transcription: 'understanding.audio.transcription',
  vision: 'understanding.image',
  'audio-input': 'understanding.audio.input',
  tools: 'generation.text.chat.tools',
  'function-calling': 'generation.text.chat.tools',
  'json-schema': 'generation.text.chat.json-schema',
  reasoning: 'generation.text.chat.reasoning',
})

/** Resolve an alias or a canonical path; returns undefined for unknown names. */
export function resolveCapability(name: string): string | undefined {
  if ((CAPABILITY_TREE as readonly string[]).includes(name)) return name
  if (CAPABILITY_TREE.some((c) => c.startsWith(name + '.'))) return name
  return CAPABILITY_ALIASES[name]
}

/** True when `capability` is `node` itself or lies below it. */
export function capabilityCovers(node: string, capability: string): boolean {
  return capability === node || capability.startsWith(node + '.')
}
