// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { ChangeFeedService } from './change-feed/change-feed.service';
export { ListingWriteDto } from './dto/listing-write.dto';
export { ListingView } from './dto/listing.view';
export { IdempotencyService } from './idempotency/idempotency.service';
export { ListingsModule } from './listings.module';
