import { Matches } from 'class-validator';

/** PostgreSQL text cannot hold U+0000; reject it as invalid input instead of failing the insert. */
// eslint-disable-next-line no-control-regex -- matching U+0000 is the point
export const NoNulCharacters = () => Matches(/^[^\u0000]*$/, { message: '$property must not contain NUL characters' });
