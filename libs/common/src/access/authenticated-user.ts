export type Role = 'USER' | 'ADMIN';

/**
 * What an API key may do (issue 19): `listings:write` (create, replace, delete the owner's listings),
 * `webhooks:manage` (the webhook routes), `admin` (admin routes; only an admin's key may hold it).
 */
export const API_KEY_SCOPES = ['listings:write', 'webhooks:manage', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Who is calling: set on the request by the global guard, read through @CurrentUser(). */
export interface AuthenticatedUser {
  id: number;
  role: Role;
  /**
   * Set when the request was authenticated with an API key (`Authorization: Bearer lak_…`) instead of an access
   * token: the key acts as its owner (id, role) with at most these scopes.
   */
  apiKey?: { id: number; scopes: readonly ApiKeyScope[] };
}

export function isAdmin(user: AuthenticatedUser): boolean {
  return user.role === 'ADMIN';
}
