import { changesBetween } from './audit-actions';

describe('changesBetween (the `changes` of an audit entry)', () => {
  const listing = { id: 1, name: 'Flat', postal_address: { city: 'Paris', country: 'FR' }, price: 100, phone: '+33612345678', updated_date: 'x' };

  it('a creation: every field as [null, value], nested ones dotted, the ignored ones left out', () => {
    expect(changesBetween(null, listing, ['id', 'updated_date'])).toEqual({
      name: [null, 'Flat'],
      'postal_address.city': [null, 'Paris'],
      'postal_address.country': [null, 'FR'],
      price: [null, 100],
      phone: [null, '+33612345678'],
    });
  });

  it('a deletion: every field as [value, null]', () => {
    expect(changesBetween({ name: 'Flat', events: ['a'] }, null)).toEqual({ name: ['Flat', null], events: [['a'], null] });
  });

  it('a change: only the fields whose value differs; an absent field is null; arrays compare by value', () => {
    const after = { ...listing, postal_address: { city: 'Lyon', country: 'FR' }, phone: undefined, updated_date: 'y' };
    expect(changesBetween(listing, after, ['updated_date'])).toEqual({ 'postal_address.city': ['Paris', 'Lyon'], phone: ['+33612345678', null] });
    expect(changesBetween({ events: ['a', 'b'], description: null }, { events: ['a', 'b'] })).toEqual({});
  });
});
