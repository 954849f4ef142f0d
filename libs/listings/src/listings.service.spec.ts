import { ForbiddenException, NotFoundException } from '@nestjs/common';
import type { AuthenticatedUser } from '@app/common';
import { checkListingChange } from './listings.service';

/** The ownership decision of every PUT and DELETE (ListingsService.lockForChange calls it on the locked row). */
describe('who may change or delete a listing', () => {
  const owner: AuthenticatedUser = { id: 7, role: 'USER' };
  const stranger: AuthenticatedUser = { id: 8, role: 'USER' };
  const admin: AuthenticatedUser = { id: 9, role: 'ADMIN' };

  const decide = (ownerId: number | undefined, caller: AuthenticatedUser) => {
    try {
      checkListingChange(42, ownerId, caller);
      return 'allowed';
    } catch (error) {
      return error;
    }
  };

  it('its owner may', () => {
    expect(decide(owner.id, owner)).toBe('allowed');
  });

  it('an admin may, whoever owns it (the admin\'s own listings included)', () => {
    expect(decide(owner.id, admin)).toBe('allowed');
    expect(decide(admin.id, admin)).toBe('allowed');
  });

  it('another user may not: 403 with a message naming who may', () => {
    const refused = decide(owner.id, stranger);
    expect(refused).toBeInstanceOf(ForbiddenException);
    expect((refused as ForbiddenException).getResponse()).toMatchObject({ statusCode: 403, message: 'Only the owner of this listing or an admin may change it' });
  });

  it('a listing that does not exist is a 404 for everyone, before any ownership question (404 before 403)', () => {
    for (const caller of [owner, stranger, admin]) {
      const missing = decide(undefined, caller);
      expect(missing).toBeInstanceOf(NotFoundException);
      expect((missing as NotFoundException).getResponse()).toMatchObject({ statusCode: 404, message: 'Listing 42 not found' });
    }
  });

  it('only an absent owner means no listing: any owner id, 0 included, is compared with the caller\'s', () => {
    expect(decide(0, { id: 1, role: 'USER' })).toBeInstanceOf(ForbiddenException);
    expect(decide(0, { id: 0, role: 'USER' })).toBe('allowed');
  });
});
