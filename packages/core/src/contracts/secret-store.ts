import type { PluginDescriptor } from './plugin-descriptor.js'

/** Where secrets come from. `get` is required; the rest are for stores that can write. */
export interface SecretStoreV1 {
  readonly specificationVersion: 'mesh.secrets.v1'
  readonly name: string
  /** How to recreate this store from JSON (for the IR and the compile step). */
  readonly descriptor: PluginDescriptor
  get(name: string): Promise<string | undefined>
  set?(name: string, value: string): Promise<void>
  list?(): Promise<string[]>
  delete?(name: string): Promise<void>
}
