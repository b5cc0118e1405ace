// The value domains of TPC-H (specification clause 4.2.2–4.2.3): the fixed nations and
// regions, the word lists that names, types and containers are built from, and a vocabulary
// for the free-text comments.

export const REGIONS = ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"];

/** Nation name and the key of its region, in key order 0..24. */
export const NATIONS: [string, number][] = [
  ["ALGERIA", 0], ["ARGENTINA", 1], ["BRAZIL", 1], ["CANADA", 1], ["EGYPT", 4], ["ETHIOPIA", 0],
  ["FRANCE", 3], ["GERMANY", 3], ["INDIA", 2], ["INDONESIA", 2], ["IRAN", 4], ["IRAQ", 4],
  ["JAPAN", 2], ["JORDAN", 4], ["KENYA", 0], ["MOROCCO", 0], ["MOZAMBIQUE", 0], ["PERU", 1],
  ["CHINA", 2], ["ROMANIA", 3], ["SAUDI ARABIA", 4], ["VIETNAM", 2], ["RUSSIA", 3],
  ["UNITED KINGDOM", 3], ["UNITED STATES", 1],
];

/** The 92 words part names are made of (P_NAME is five of them). */
export const COLORS = [
  "almond", "antique", "aquamarine", "azure", "beige", "bisque", "black", "blanched", "blue", "blush",
  "brown", "burlywood", "burnished", "chartreuse", "chiffon", "chocolate", "coral", "cornflower",
  "cornsilk", "cream", "cyan", "dark", "deep", "dim", "dodger", "drab", "firebrick", "floral", "forest",
  "frosted", "gainsboro", "ghost", "goldenrod", "green", "grey", "honeydew", "hot", "indian", "ivory",
  "khaki", "lace", "lavender", "lawn", "lemon", "light", "lime", "linen", "magenta", "maroon", "medium",
  "metallic", "midnight", "mint", "misty", "moccasin", "navajo", "navy", "olive", "orange", "orchid",
  "pale", "papaya", "peach", "peru", "pink", "plum", "powder", "puff", "purple", "red", "rose", "rosy",
  "royal", "saddle", "salmon", "sandy", "seashell", "sienna", "sky", "slate", "smoke", "snow", "spring",
  "steel", "tan", "thistle", "tomato", "turquoise", "violet", "wheat", "white", "yellow",
];

export const TYPE_SYLLABLES = [
  ["STANDARD", "SMALL", "MEDIUM", "LARGE", "ECONOMY", "PROMO"],
  ["ANODIZED", "BURNISHED", "PLATED", "POLISHED", "BRUSHED"],
  ["TIN", "NICKEL", "BRASS", "STEEL", "COPPER"],
];

export const CONTAINER_SYLLABLES = [
  ["SM", "LG", "MED", "JUMBO", "WRAP"],
  ["CASE", "BOX", "BAG", "JAR", "PKG", "PACK", "CAN", "DRUM"],
];

export const SEGMENTS = ["AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"];
export const PRIORITIES = ["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"];
export const INSTRUCTIONS = ["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"];
export const MODES = ["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"];

/**
 * Comment words, after the grammar of clause 4.2.2.10 (nouns, verbs, adjectives, adverbs,
 * prepositions and auxiliaries): comments are runs of these, so phrases the queries look for
 * ("special … requests", "Customer … Complaints") occur at the rates chance gives them.
 */
export const COMMENT_WORDS = [
  // nouns
  "foxes", "ideas", "theodolites", "pinto beans", "instructions", "dependencies", "excuses", "platelets",
  "asymptotes", "courts", "dolphins", "multipliers", "sauternes", "warthogs", "frets", "dinos", "attainments",
  "somas", "Tiresias", "patterns", "forges", "braids", "hockey players", "frays", "warhorses", "dugouts",
  "notornis", "epitaphs", "pearls", "tithes", "waters", "orbits", "gifts", "sheaves", "depths", "sentiments",
  "decoys", "realms", "pains", "grouches", "escapades", "accounts", "deposits", "packages", "requests",
  "packages", "theodolites",
  // verbs
  "sleep", "wake", "are", "cajole", "haggle", "nag", "use", "boost", "affix", "detect", "integrate",
  "maintain", "nod", "was", "lose", "sublate", "solve", "thrash", "promise", "engage", "hinder", "print",
  "x-ray", "breach", "eat", "grow", "impress", "mold", "poach", "serve", "run", "dazzle", "snooze", "doze",
  "unwind", "kindle", "play", "hang", "believe", "doubt",
  // adjectives
  "furious", "sly", "careful", "blithe", "quick", "fluffy", "slow", "quiet", "ruthless", "thin", "close",
  "dogged", "daring", "brave", "stealthy", "permanent", "enticing", "idle", "busy", "regular", "final",
  "ironic", "even", "bold", "silent", "special", "pending", "express", "unusual",
  // adverbs
  "sometimes", "always", "never", "furiously", "slyly", "carefully", "blithely", "quickly", "fluffily",
  "slowly", "quietly", "ruthlessly", "thinly", "closely", "doggedly", "daringly", "bravely", "stealthily",
  "permanently", "enticingly", "idly", "busily", "regularly", "finally", "ironically", "evenly", "boldly",
  "silently",
  // prepositions and auxiliaries
  "about", "above", "according to", "across", "after", "against", "along", "alongside of", "among",
  "around", "at", "atop", "before", "behind", "beneath", "beside", "besides", "between", "beyond", "by",
  "despite", "during", "except", "for", "from", "inside", "instead of", "into", "near", "of", "on",
  "outside", "over", "past", "since", "through", "throughout", "to", "toward", "under", "until", "up",
  "upon", "without", "with", "within", "do", "may", "might", "shall", "will", "would", "can", "could",
  "should", "ought to", "must", "need to", "try to",
];
