import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryInt } from '@app/common';

export const CHART_SIZE = {
  width: { min: 320, max: 1600, default: 720 },
  height: { min: 200, max: 1000, default: 360 },
} as const;

/** Query of GET /listings/{id}/prices/chart.svg: the picture's size in CSS pixels, bounded. */
export class PriceChartQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: CHART_SIZE.width.min, maximum: CHART_SIZE.width.max, default: CHART_SIZE.width.default, description: 'Width in pixels.' })
  @QueryInt(CHART_SIZE.width.min, CHART_SIZE.width.max)
  width?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: CHART_SIZE.height.min, maximum: CHART_SIZE.height.max, default: CHART_SIZE.height.default, description: 'Height in pixels.' })
  @QueryInt(CHART_SIZE.height.min, CHART_SIZE.height.max)
  height?: number;
}
