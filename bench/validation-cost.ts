/**
 * What validating a write's body costs per request, in CPU µs: the PUT /listings/{id} body through the API's
 * validation pipe (class-transformer, then the validation plans, class-validator's rules from lists worked out once
 * per DTO class), against the same pipe's earlier path (class-transformer, then class-validator's validateSync,
 * which works the rule lists out again on every call). Both refuse and accept the same bodies
 * (apps/api/src/validation-plan.spec.ts); a refused body still goes through validateSync for its error messages.
 *
 *   npm run bench:validation
 */
import 'reflect-metadata';
import './lib/app-aliases';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ApiValidationPipe, TRANSFORM_OPTIONS, VALIDATOR_OPTIONS } from '../libs/common/src/validation/validation';
import { EXAMPLE_LISTING_WRITE } from '../libs/listings/src/dto/examples';
import { ListingWriteDto } from '../libs/listings/src/dto/listing-write.dto';

// The documentation's example body: what a client sends.
const BODY = EXAMPLE_LISTING_WRITE;

function cpuMicros(run: () => void, iterations: number): number {
  for (let i = 0; i < 20_000; i++) run();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

export function measureValidation(iterations = 100_000): { pipeMicros: number; validateSyncMicros: number } {
  const pipe = new ApiValidationPipe();
  const metadata = { type: 'body', metatype: ListingWriteDto } as const;
  // A fresh body per request, as JSON.parse hands the pipe one.
  const text = JSON.stringify(BODY);
  const pipeMicros = cpuMicros(() => void pipe.transform(JSON.parse(text), metadata), iterations);
  const validateSyncMicros = cpuMicros(() => {
    const entity = plainToInstance(ListingWriteDto, JSON.parse(text) as object, TRANSFORM_OPTIONS);
    if (validateSync(entity, VALIDATOR_OPTIONS).length > 0) throw new Error('the sample body must be valid');
  }, iterations);
  return { pipeMicros, validateSyncMicros };
}

if (require.main === module) {
  for (let round = 1; round <= 3; round++) {
    const r = measureValidation();
    process.stdout.write(
      `round ${round}: PUT body through the validation pipe ${r.pipeMicros.toFixed(2)} µs; ` +
        `class-transformer + validateSync ${r.validateSyncMicros.toFixed(2)} µs per request (${(r.validateSyncMicros / r.pipeMicros).toFixed(1)}x)\n`,
    );
  }
}
