/**
 * A categorical vocabulary: value → embedding id. Id 0 is reserved for out-of-vocabulary values (unseen in
 * training, or rarer than the minimum frequency), so an embedding table needs `size` = tokens + 1 rows.
 * Ids are assigned by decreasing training frequency, ties by code-unit order of the value, so the same training
 * data gives the same ids whatever order its rows were read in.
 */

export interface VocabularyJSON {
  /** tokens[i] has id i + 1. */
  tokens: string[];
  minFrequency: number;
}

export const OOV_ID = 0;

export class Vocabulary {
  private readonly ids: Map<string, number>;

  private constructor(
    readonly tokens: readonly string[],
    readonly minFrequency: number,
  ) {
    this.ids = new Map(tokens.map((token, i) => [token, i + 1]));
    if (this.ids.size !== tokens.length) throw new Error('Vocabulary: duplicate tokens');
  }

  static fromCounts(counts: Map<string, number>, minFrequency = 1): Vocabulary {
    const kept = [...counts].filter(([, count]) => count >= minFrequency);
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new Vocabulary(
      kept.map(([token]) => token),
      minFrequency,
    );
  }

  static fromJSON(json: VocabularyJSON): Vocabulary {
    if (!Array.isArray(json?.tokens) || !json.tokens.every((t) => typeof t === 'string')) {
      throw new Error('Vocabulary.fromJSON: tokens must be an array of strings');
    }
    return new Vocabulary([...json.tokens], json.minFrequency ?? 1);
  }

  /** Number of embedding rows needed, including the OOV row. */
  get size(): number {
    return this.tokens.length + 1;
  }

  idOf(token: string): number {
    return this.ids.get(token) ?? OOV_ID;
  }

  toJSON(): VocabularyJSON {
    return { tokens: [...this.tokens], minFrequency: this.minFrequency };
  }
}
