import { checkBaseURL as coreCheckBaseURL } from '@modelmesh/core'

/** {@link coreCheckBaseURL} with this provider's example URL in its error. */
export const checkBaseURL = (value: unknown, factory: string, path = 'baseURL'): string => coreCheckBaseURL(value, factory, path, 'https://generativelanguage.googleapis.com/v1beta')

export { descriptorOptions } from '@modelmesh/core'
