import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { MAX_INT4 } from '../pagination/cursor';

/** Path ids are non-negative 32-bit integers in plain decimal; anything else is a malformed request (400). */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^\d{1,10}$/.test(value) || Number(value) > MAX_INT4) {
      throw new BadRequestException({ message: `Invalid id "${value.slice(0, 40)}": expected an integer from 0 to ${MAX_INT4}` });
    }
    return Number(value);
  }
}
