export type Role = 'USER' | 'ADMIN';

/** Who is calling: set on the request by the global guard, read through @CurrentUser(). */
export interface AuthenticatedUser {
  id: number;
  role: Role;
}

export function isAdmin(user: AuthenticatedUser): boolean {
  return user.role === 'ADMIN';
}
