// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { ChangeFeedService } from './change-feed/change-feed.service';
export type { FeedPosition, ListingState, RelayedEvent } from './change-feed/change-feed.service';
export { ListingsQuery } from './dto/listings.query';
export { BUILDING_TYPES, MAX_PRICE_EUR } from './dto/listing-write.dto';
export { NoNulCharacters } from './dto/text-rules';
export { ListingWriteDto } from './dto/listing-write.dto';
export { ListingView } from './dto/listing.view';
export { IdempotencyService } from './idempotency/idempotency.service';
export { ListingsModule } from './listings.module';
