/** Who may do what: a route declares the least role it needs (`config: { role }`). */

export type Role = 'viewer' | 'admin';
export type RouteRole = 'public' | Role;

/** The identity a request carries once authenticated. */
export interface Principal {
  name: string;
  role: Role;
  /** how it proved itself: a session cookie, an API token (header or query), or nothing (auth disabled) */
  via: 'session' | 'token' | 'none';
}

const RANK: Record<RouteRole, number> = { public: 0, viewer: 1, admin: 2 };

/** Reads never change anything: a viewer may make them unless the route says otherwise. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isReadMethod(method: string): boolean {
  return READ_METHODS.has(method);
}

/** The role a request needs: the route's own declaration, else viewer for reads and admin for anything else. */
export function requiredRole(declared: unknown, method: string): RouteRole {
  if (declared === 'public' || declared === 'viewer' || declared === 'admin') return declared;
  return isReadMethod(method) ? 'viewer' : 'admin';
}

export function allows(role: Role, needed: RouteRole): boolean {
  return RANK[role] >= RANK[needed];
}
