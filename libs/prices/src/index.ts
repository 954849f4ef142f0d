// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { PriceHistoryService } from './price-history.service';
export { PRICE_SUMMARY_INSERT_COLUMNS, priceSummaryAfterWrite, priceSummaryOfFirstPrice } from './price-summary.sql';
export { PricesModule } from './prices.module';
