export * from './listings.module';
export * from './listings.service';
export * from './dto/listing.view';
export * from './dto/listing-write.dto';
