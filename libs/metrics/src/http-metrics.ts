import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { MetricsRegistry } from './metrics-registry';
import { RequestMetrics, installRequestHooks } from './request-metrics';

/**
 * The request metrics (RequestMetrics), recorded by a pair of Fastify hooks on the root instance, added in
 * onModuleInit like HttpDrain's (Fastify applies root hooks to every route when it starts, 404s included). Only
 * when METRICS_TOKEN is set: otherwise nothing runs per request.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  private readonly requests: RequestMetrics;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsRegistry,
  ) {
    this.requests = new RequestMetrics(metrics.registry);
  }

  onModuleInit(): void {
    if (!this.metrics.enabled) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    installRequestHooks(fastify, this.requests);
  }
}
