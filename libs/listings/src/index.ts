export * from './listings.module';
export * from './listings.service';
export * from './dto/listing.view';
export * from './dto/listing-write.dto';
export * from './change-feed/change-feed.service';
export * from './idempotency/idempotency.service';
