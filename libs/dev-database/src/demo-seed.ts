/**
 * The eleven demo listings of the original ListingAPI database (its fixture rows), used to seed the
 * embedded demo database. Their `description` was empty, which the contract's `minLength: 1` forbids,
 * so the seed writes a short description derived from the row instead. Prices were floats in euros;
 * all were whole numbers. Dates were UTC without a zone and are kept to the millisecond.
 */
import { hashPassword } from '@app/users';
import type { PrismaService } from '@app/database';

/**
 * The account that owns the demo listings in the embedded demo database (and only there: the seed
 * never runs against DATABASE_URL). Its password is public on purpose, like the data it guards.
 */
export const DEMO_OWNER = { email: 'demo@listing-api.test', password: 'demo-password' } as const;

interface DemoListing {
  name: string;
  buildingType: 'STUDIO' | 'APARTMENT' | 'HOUSE';
  surfaceAreaM2: number;
  roomsCount: number;
  bedroomsCount: number;
  priceEur: number;
  streetAddress: string;
  postalCode: string;
  city: string;
  country: string;
  contactPhoneNumber: string | null;
  createdDate: string;
  updatedDate: string;
}

export const DEMO_LISTINGS: readonly DemoListing[] = [
  {
    name: "Mikhail Schmiedt",
    buildingType: 'STUDIO',
    surfaceAreaM2: 167,
    roomsCount: 6,
    bedroomsCount: 2,
    priceEur: 710000,
    streetAddress: "Johan-Ernst-Ring 7",
    postalCode: "21810",
    city: "Berchtesgaden",
    country: 'DE',
    contactPhoneNumber: "+219779210354",
    createdDate: '2023-01-17T14:19:22.808Z',
    updatedDate: '2023-01-17T14:20:47.707Z',
  },
  {
    name: "Thibaut Pons-Dos Santos",
    buildingType: 'STUDIO',
    surfaceAreaM2: 438,
    roomsCount: 6,
    bedroomsCount: 1,
    priceEur: 125000,
    streetAddress: "552, rue de Grégoire",
    postalCode: "07701",
    city: "Saint Célinaboeuf",
    country: 'FR',
    contactPhoneNumber: "+164157880590",
    createdDate: '2023-01-17T16:33:35.960Z',
    updatedDate: '2023-01-17T16:33:35.960Z',
  },
  {
    name: "Hans-Karl Juncken",
    buildingType: 'HOUSE',
    surfaceAreaM2: 354,
    roomsCount: 8,
    bedroomsCount: 1,
    priceEur: 970000,
    streetAddress: "Denis-Zänker-Weg 2/1",
    postalCode: "39496",
    city: "Wetzlar",
    country: 'DE',
    contactPhoneNumber: "+243050933379",
    createdDate: '2023-01-17T16:33:36.021Z',
    updatedDate: '2023-01-17T16:33:36.021Z',
  },
  {
    name: "Luis Klemt",
    buildingType: 'APARTMENT',
    surfaceAreaM2: 75,
    roomsCount: 4,
    bedroomsCount: 3,
    priceEur: 170000,
    streetAddress: "Hornigstraße 2",
    postalCode: "56731",
    city: "Roding",
    country: 'DE',
    contactPhoneNumber: "+431917265888",
    createdDate: '2023-01-17T16:33:36.058Z',
    updatedDate: '2023-01-17T16:33:36.058Z',
  },
  {
    name: "Auguste Joubert Le Sauvage",
    buildingType: 'STUDIO',
    surfaceAreaM2: 394,
    roomsCount: 7,
    bedroomsCount: 6,
    priceEur: 560000,
    streetAddress: "95, avenue Albert",
    postalCode: "30789",
    city: "Munoz",
    country: 'FR',
    contactPhoneNumber: "+371026502749",
    createdDate: '2023-01-17T16:33:36.099Z',
    updatedDate: '2023-01-17T16:33:36.099Z',
  },
  {
    name: "Willy Goossens",
    buildingType: 'HOUSE',
    surfaceAreaM2: 436,
    roomsCount: 6,
    bedroomsCount: 4,
    priceEur: 935000,
    streetAddress: "Hannesring 34",
    postalCode: "3154",
    city: "Tervuren",
    country: 'BE',
    contactPhoneNumber: "+917403760588",
    createdDate: '2023-01-17T16:33:36.136Z',
    updatedDate: '2023-01-17T16:33:36.136Z',
  },
  {
    name: "Frédéric Blondel",
    buildingType: 'HOUSE',
    surfaceAreaM2: 422,
    roomsCount: 5,
    bedroomsCount: 5,
    priceEur: 345000,
    streetAddress: "686, rue de Joly",
    postalCode: "72864",
    city: "LaporteBourg",
    country: 'FR',
    contactPhoneNumber: "+212178996008",
    createdDate: '2023-01-17T16:33:36.172Z',
    updatedDate: '2023-01-17T16:33:36.172Z',
  },
  {
    name: "Peter Driesen",
    buildingType: 'STUDIO',
    surfaceAreaM2: 95,
    roomsCount: 8,
    bedroomsCount: 1,
    priceEur: 1565000,
    streetAddress: "Bjornlaan 8",
    postalCode: "6703",
    city: "Ieper",
    country: 'BE',
    contactPhoneNumber: "+354088583935",
    createdDate: '2023-01-17T16:33:36.211Z',
    updatedDate: '2023-01-17T16:33:36.211Z',
  },
  {
    name: "Louise Besnard",
    buildingType: 'HOUSE',
    surfaceAreaM2: 248,
    roomsCount: 6,
    bedroomsCount: 6,
    priceEur: 625000,
    streetAddress: "304, rue de Didier",
    postalCode: "82694",
    city: "Godard-sur-Mer",
    country: 'FR',
    contactPhoneNumber: "+910443688550",
    createdDate: '2023-01-17T16:33:36.248Z',
    updatedDate: '2023-01-17T16:33:36.248Z',
  },
  {
    name: "Lucie Mercier-Besnard",
    buildingType: 'STUDIO',
    surfaceAreaM2: 233,
    roomsCount: 3,
    bedroomsCount: 2,
    priceEur: 1965000,
    streetAddress: "24, boulevard Maurice Ledoux",
    postalCode: "69310",
    city: "Prévostnec",
    country: 'FR',
    contactPhoneNumber: "+27681548599",
    createdDate: '2023-01-17T16:33:36.285Z',
    updatedDate: '2023-01-17T16:33:36.285Z',
  },
  {
    name: "Lore Colpaert",
    buildingType: 'HOUSE',
    surfaceAreaM2: 416,
    roomsCount: 6,
    bedroomsCount: 4,
    priceEur: 425000,
    streetAddress: "Jonathanboulevard 631",
    postalCode: "9038",
    city: "Leval-Trahegnies",
    country: 'BE',
    contactPhoneNumber: "+513588807213",
    createdDate: '2023-01-17T16:33:36.320Z',
    updatedDate: '2023-01-17T16:33:36.320Z',
  }
];

const KIND: Record<DemoListing['buildingType'], string> = { STUDIO: 'Studio', APARTMENT: 'Apartment', HOUSE: 'House' };

export function describeDemoListing(row: DemoListing): string {
  return `${KIND[row.buildingType]} of ${row.surfaceAreaM2} m² with ${row.roomsCount} rooms (${row.bedroomsCount} bedrooms) in ${row.city}.`;
}

/**
 * Inserts the demo owner and the demo listings, each with its initial price as the first history
 * entry, in one transaction, and only into an empty listing table, so restarting the demo never
 * duplicates them. Returns how many listings were inserted.
 */
export async function seedDemoListings(prisma: PrismaService): Promise<number> {
  const passwordHash = await hashPassword(DEMO_OWNER.password);
  return prisma.$transaction(async (tx) => {
    // Taken inside the transaction so two processes starting at once cannot both seed.
    await tx.$executeRaw`LOCK TABLE listing IN EXCLUSIVE MODE`;
    if ((await tx.listing.count()) > 0) return 0;
    const owner = await tx.user.upsert({
      where: { email: DEMO_OWNER.email },
      create: { email: DEMO_OWNER.email, passwordHash },
      update: {},
      select: { id: true },
    });
    for (const row of DEMO_LISTINGS) {
      const created = new Date(row.createdDate);
      // The drop of a one-entry history, from the database's one formula (migration 20261203020000).
      const [{ drop }] = await tx.$queryRaw<{ drop: number }[]>`SELECT price_drop_pct(${row.priceEur}::numeric, ${row.priceEur}::numeric) AS drop`;
      const listing = await tx.listing.create({
        data: {
          name: row.name,
          description: describeDemoListing(row),
          buildingType: row.buildingType,
          surfaceAreaM2: row.surfaceAreaM2,
          roomsCount: row.roomsCount,
          bedroomsCount: row.bedroomsCount,
          contactPhoneNumber: row.contactPhoneNumber,
          streetAddress: row.streetAddress,
          postalCode: row.postalCode,
          city: row.city,
          country: row.country,
          latestPriceEur: row.priceEur,
          // The price summary of a one-entry history (as insertListing in libs/listings/src/listing.statements.ts writes it).
          priceEntries: 1,
          firstPriceEur: row.priceEur,
          minPriceEur: row.priceEur,
          maxPriceEur: row.priceEur,
          priceDropPct: drop,
          createdDate: created,
          updatedDate: new Date(row.updatedDate),
          ownerId: owner.id,
        },
      });
      await tx.listingPrice.create({ data: { listingId: listing.id, priceEur: row.priceEur, createdDate: created } });
    }
    return DEMO_LISTINGS.length;
  }, { timeout: 30_000 });
}
