export * from './prices.module';
export * from './price-history.service';
export * from './dto/price-entry.view';
export * from './price-summary.sql';
