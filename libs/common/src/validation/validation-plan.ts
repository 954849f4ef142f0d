import { ValidationTypes, type ValidatorConstraintInterface, type ValidationArguments, getMetadataStorage } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

type Storage = ReturnType<typeof getMetadataStorage>;
type Metadata = ReturnType<Storage['getTargetValidationMetadatas']>[number];

/** One rule of one property: the constraint classes' validators, resolved once, and the rule's own options. */
interface RulePlan {
  readonly metadata: Metadata;
  readonly validators: readonly ValidatorConstraintInterface[];
}

interface PropertyPlan {
  readonly name: string;
  /** @ValidateIf conditions: when one says no, class-validator skips the property altogether. */
  readonly conditions: readonly ((object: object, value: unknown) => boolean)[];
  /** @IsDefined rules first, then every other rule, in class-validator's order. */
  readonly rules: readonly RulePlan[];
  /** @ValidateNested rules: the metadata whose target names the schema the nested object is validated under. */
  readonly nested: readonly Metadata[];
}

interface ClassPlan {
  /** Every property that has at least one rule: any other own property is refused (whitelist + forbidNonWhitelisted). */
  readonly allowed: ReadonlySet<string>;
  readonly properties: readonly PropertyPlan[];
}

/** Rule kinds the plan understands; a class with any other kind (promises) always takes class-validator's own path. */
const PLANNED_TYPES: ReadonlySet<string> = new Set([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.IS_DEFINED,
  ValidationTypes.WHITELIST,
]);

/**
 * Says whether class-validator's `validateSync` would find nothing wrong with a DTO instance, from rule lists
 * worked out once per class, so that a valid body costs only its rules. The rules are class-validator's own
 * decorators and constraint classes; what is done once here, class-validator's executor redoes on every call and
 * for every property: five `filter`s over the property's rules, a ValidationError per property (kept only when it
 * holds a message), a constraint-instance lookup by linear search, and `Object.keys` of the errors so far before
 * every rule. For the PUT body, measured alone (`npm run bench:validation`): validateSync 10.4 µs and about 7.9 KiB
 * allocated, this 2.6 µs and 2.3 KiB; a sampling heap profile of the server under load had put class-validator at
 * 32 KiB of a PUT's 173 KiB.
 *
 * It only ever answers "valid" or "look closer": anything it does not model (an unknown property, a failed rule,
 * an array of nested objects, a promise, a class without rules) is "look closer", and the caller then runs
 * `validateSync`, whose errors are the response. So every error body is still class-validator's, word for word,
 * and `validation-plan.spec.ts` checks on the service's own DTOs that both give the same verdict.
 *
 * Assumes the options the API validates with (ApiValidationPipe): no groups, `always` off, no skip options,
 * `forbidUnknownValues` on, `whitelist` + `forbidNonWhitelisted`. Async rules are ignored, as `validateSync` does.
 */
export class ValidationPlans {
  private readonly storage: Storage = getMetadataStorage();
  /** Keyed by the rule list itself: the metadata cache hands out a new list when a decorator adds a rule. */
  private readonly plans = new WeakMap<readonly Metadata[], ClassPlan | null>();

  constructor() {
    // Without the cache, every lookup returns a new list, and every call would work its plan out again.
    cacheValidationMetadata();
  }

  accepts(object: object): boolean {
    return this.acceptsUnder(object, undefined);
  }

  private acceptsUnder(object: object, schema: string | undefined): boolean {
    // The same lookup, with the same arguments, as class-validator's ValidationExecutor.execute.
    const metadatas = this.storage.getTargetValidationMetadatas(object.constructor, schema as string, false, false);
    let plan = this.plans.get(metadatas);
    if (plan === undefined) this.plans.set(metadatas, (plan = this.planFor(metadatas)));
    if (plan === null) return false;
    for (const key in object) {
      if (Object.prototype.hasOwnProperty.call(object, key) && !plan.allowed.has(key)) return false;
    }
    for (const property of plan.properties) {
      const value = (object as Record<string, unknown>)[property.name];
      if (!this.propertyAccepts(object, value, property)) return false;
    }
    return true;
  }

  private propertyAccepts(object: object, value: unknown, property: PropertyPlan): boolean {
    let applies = true;
    // class-validator asks every condition (it maps, then reduces), so they all run here too.
    for (const condition of property.conditions) applies = condition(object, value) && applies;
    if (!applies) return true;
    if (property.rules.length > 0) {
      // One arguments object for the property's rules, each rule's constraints set in turn: validators read it
      // while they run and keep nothing (class-validator builds one per rule; here that was half the plan's garbage).
      const args: ValidationArguments = { targetName: object.constructor?.name, property: property.name, object, value, constraints: [] };
      for (const rule of property.rules) {
        args.constraints = rule.metadata.constraints;
        if (!ruleAccepts(object, value, rule, args)) return false;
      }
    }
    if (value === undefined) return true;
    for (const nested of property.nested) {
      if (Array.isArray(value) || value instanceof Set || value instanceof Map) return false;
      if (!(value instanceof Object)) return false;
      const schema = typeof nested.target === 'string' ? nested.target : nested.target.name;
      if (!this.acceptsUnder(value, schema)) return false;
    }
    return true;
  }

  private planFor(metadatas: readonly Metadata[]): ClassPlan | null {
    // class-validator refuses an object whose class has no rules at all (forbidUnknownValues).
    if (metadatas.length === 0) return null;
    if (metadatas.some((metadata) => !PLANNED_TYPES.has(metadata.type))) return null;
    const grouped = this.storage.groupByPropertyName(metadatas as Metadata[]);
    const properties: PropertyPlan[] = [];
    for (const [name, rules] of Object.entries(grouped)) {
      const defined = rules.filter((metadata) => metadata.type === ValidationTypes.IS_DEFINED);
      const custom = rules.filter((metadata) => metadata.type === ValidationTypes.CUSTOM_VALIDATION);
      properties.push({
        name,
        conditions: rules.filter((metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION).map((metadata) => metadata.constraints[0] as (object: object, value: unknown) => boolean),
        rules: [...defined, ...custom].map((metadata) => this.rulePlan(metadata)),
        nested: rules.filter((metadata) => metadata.type === ValidationTypes.NESTED_VALIDATION),
      });
    }
    return { allowed: new Set(Object.keys(grouped).filter((name) => grouped[name].length > 0)), properties };
  }

  private rulePlan(metadata: Metadata): RulePlan {
    // Async constraints are skipped by validateSync. The instance is resolved now: class-validator's default
    // container hands out one instance per constraint class, found by a linear search on every use.
    const constraints = this.storage.getTargetValidatorConstraints(metadata.constraintCls).filter((constraint) => !constraint.async);
    return { metadata, validators: constraints.map((constraint) => constraint.instance) };
  }
}

function ruleAccepts(object: object, value: unknown, { metadata, validators }: RulePlan, args: ValidationArguments): boolean {
  if (metadata.validateIf && !metadata.validateIf(object, value)) return true;
  const items = metadata.each && (Array.isArray(value) || value instanceof Set || value instanceof Map) ? toArray(value) : undefined;
  for (const validator of validators) {
    if (items === undefined) {
      if (!accepted(validator.validate(value, args))) return false;
    } else {
      for (const item of items) if (!accepted(validator.validate(item, args))) return false;
    }
  }
  return true;
}

function toArray(value: unknown[] | Set<unknown> | Map<unknown, unknown>): unknown[] {
  if (value instanceof Map) return Array.from(value.values());
  return Array.isArray(value) ? value : Array.from(value);
}

/** A promise is "look closer": validateSync would not wait for it either, and the slow path decides. */
function accepted(result: unknown): boolean {
  return result === true || (!!result && !(result instanceof Promise) && typeof (result as { then?: unknown }).then !== 'function');
}
