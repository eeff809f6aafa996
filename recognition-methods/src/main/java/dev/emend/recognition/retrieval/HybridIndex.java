package dev.emend.recognition.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * An in-memory Lucene index (ByteBuffersDirectory) of short texts with a vector each: BM25 over the
 * text, HNSW k-nearest-neighbour search over the vectors (KnnFloatVectorField, dot product of unit
 * vectors = cosine), fused by {@link Fusion}. Documents are added and deleted by id; a search sees
 * every change made before it (near-real-time reader reopened on demand).
 *
 * <p>Thread safety: searches may run concurrently with each other; add/delete must not run
 * concurrently with searches (the phase service guarantees this for space states) — the reader
 * reopen itself is synchronised.
 */
public final class HybridIndex implements AutoCloseable {
    private static final String ID = "id";
    private static final String TEXT = "text";
    private static final String VECTOR = "vector";
    private static final String KIND = "kind";
    private static final String KIND_DOC = "doc";
    private static final String KIND_BACKGROUND = "background";

    private final Analyzer analyzer = new FactAnalyzer();
    private final ByteBuffersDirectory directory = new ByteBuffersDirectory();
    private final IndexWriter writer;
    private final BM25Similarity similarity = new BM25Similarity();
    private final Map<String, float[]> vectors = new HashMap<>();
    private final int dimension;
    private DirectoryReader reader;
    private IndexSearcher searcher;
    private boolean dirty = true;

    /** Lower-cased standard tokens with English possessives removed ({@code Quinn's} → {@code quinn}). */
    static final class FactAnalyzer extends Analyzer {
        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            Tokenizer source = new StandardTokenizer();
            TokenStream stream = new EnglishPossessiveFilter(new LowerCaseFilter(source));
            return new TokenStreamComponents(source, stream);
        }
    }

    public HybridIndex(int dimension) {
        this(dimension, null);
    }

    /**
     * An index starting as a copy of {@code template}'s committed documents (e.g. the background
     * built once per engine): copying the in-memory files is much cheaper than re-indexing them
     * for every new space.
     */
    public HybridIndex(int dimension, HybridIndex template) {
        this.dimension = dimension;
        try {
            if (template != null) {
                template.writer.commit();
                for (String file : template.directory.listAll()) {
                    directory.copyFrom(template.directory, file, file, org.apache.lucene.store.IOContext.DEFAULT);
                }
                template.vectors.forEach((k, v) -> vectors.put(k, v));
            }
            IndexWriterConfig config = new IndexWriterConfig(analyzer);
            config.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
            config.setSimilarity(similarity);
            config.setRAMBufferSizeMB(64);
            config.setCodec(wideVectorCodec(dimension));
            writer = new IndexWriter(directory, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Lucene's default codec with its HNSW vector format, allowing vectors as long as the model's
     * hidden size: Lucene refuses more than 1,024 dimensions by default (a Llama-3.2-1B has 2,048:
     * "vector's dimensions must be <= [1024]"). The limit is only checked while indexing; the files
     * are the default format's and carry its name, so reading needs nothing special.
     */
    static Codec wideVectorCodec(int dimension) {
        KnnVectorsFormat hnsw = new Lucene99HnswVectorsFormat();
        KnnVectorsFormat wide = new KnnVectorsFormat(hnsw.getName()) {
            @Override
            public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
                return hnsw.fieldsWriter(state);
            }

            @Override
            public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
                return hnsw.fieldsReader(state);
            }

            @Override
            public int getMaxDimensions(String fieldName) {
                return Math.max(hnsw.getMaxDimensions(fieldName), dimension);
            }
        };
        return new Lucene912Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return wide;
            }
        };
    }

    public int dimension() {
        return dimension;
    }

    /** Adds (or replaces) a document. {@code vector} must be unit length, {@code dimension} long. */
    public void add(String id, String text, float[] vector) {
        if (vector.length != dimension) {
            throw new IllegalArgumentException("vector of " + vector.length + " values, index expects " + dimension);
        }
        Document doc = new Document();
        doc.add(new StringField(ID, id, Field.Store.YES));
        doc.add(new StringField(KIND, KIND_DOC, Field.Store.NO));
        doc.add(new TextField(TEXT, text, Field.Store.NO));
        doc.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.DOT_PRODUCT));
        try {
            writer.updateDocument(new Term(ID, id), doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        vectors.put(id, vector.clone());
        dirty = true;
    }

    /**
     * Adds texts that are never returned but count in BM25's statistics (document frequencies,
     * average length). With a fixed background (the demonstration pool's statements) a term's idf,
     * and so the normalised BM25 score the gate thresholds, hardly changes between 1 and 100,000
     * stored edits; without it, every matched term of a one-document index has the same low idf.
     */
    public void addBackground(List<String> texts) {
        try {
            for (String t : texts) {
                Document doc = new Document();
                doc.add(new StringField(KIND, KIND_BACKGROUND, Field.Store.NO));
                doc.add(new TextField(TEXT, t, Field.Store.NO));
                writer.addDocument(doc);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        dirty = true;
    }

    public void delete(String id) {
        if (vectors.remove(id) == null) {
            return;
        }
        try {
            writer.deleteDocuments(new Term(ID, id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        dirty = true;
    }

    public boolean contains(String id) {
        return vectors.containsKey(id);
    }

    public int size() {
        return vectors.size();
    }

    private synchronized IndexSearcher searcher() throws IOException {
        if (dirty) {
            DirectoryReader fresh = reader == null ? DirectoryReader.open(writer) : DirectoryReader.openIfChanged(reader, writer);
            if (fresh != null) {
                if (reader != null) {
                    reader.close();
                }
                reader = fresh;
                searcher = new IndexSearcher(reader);
                searcher.setSimilarity(similarity);
            }
            dirty = false;
        }
        return searcher;
    }

    /** The analysed terms of a text (as the BM25 query uses them). */
    public List<String> terms(String text) {
        List<String> out = new ArrayList<>();
        try (TokenStream ts = analyzer.tokenStream(TEXT, text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                out.add(term.toString());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * The best documents for a query, best first: the top {@code fusion.candidates()} of BM25 and
     * of the vector search, merged, each with both scores (BM25 0 for a document BM25 did not
     * return: it is below the BM25 list's last score), ranked by the fused score.
     */
    public List<Hit> search(String text, float[] vector, Fusion fusion) {
        if (vectors.isEmpty()) {
            return List.of();
        }
        try {
            IndexSearcher s = searcher();
            Map<String, double[]> scores = new LinkedHashMap<>();
            List<String> terms = terms(text);
            if (!terms.isEmpty() && fusion.bm25Weight() > 0) {
                BooleanQuery.Builder q = new BooleanQuery.Builder();
                double idfSum = 0;
                long docCount = Math.max(1, s.collectionStatistics(TEXT) == null ? 0 : s.collectionStatistics(TEXT).docCount());
                for (String t : terms) {
                    Term term = new Term(TEXT, t);
                    q.add(new TermQuery(term), BooleanClause.Occur.SHOULD);
                    long df = s.getIndexReader().docFreq(term);
                    // Lucene's BM25 idf; a term's BM25 contribution tends to it as tf grows, so the
                    // sum over the query's terms is the score no document can reach.
                    idfSum += Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
                }
                q.add(new TermQuery(new Term(KIND, KIND_DOC)), BooleanClause.Occur.FILTER);
                q.setMinimumNumberShouldMatch(1);
                TopDocs top = s.search(q.build(), fusion.candidates());
                StoredFields stored = s.storedFields();
                for (ScoreDoc sd : top.scoreDocs) {
                    String id = stored.document(sd.doc).get(ID);
                    scores.put(id, new double[] {idfSum > 0 ? sd.score / idfSum : 0, 0});
                }
            }
            if (vector != null && fusion.knnWeight() > 0) {
                TopDocs top = s.search(new KnnFloatVectorQuery(VECTOR, vector, fusion.candidates(), null), fusion.candidates());
                StoredFields stored = s.storedFields();
                for (ScoreDoc sd : top.scoreDocs) {
                    scores.putIfAbsent(stored.document(sd.doc).get(ID), new double[] {0, 0});
                }
            }
            List<Hit> hits = new ArrayList<>(scores.size());
            for (Map.Entry<String, double[]> e : scores.entrySet()) {
                float[] v = vectors.get(e.getKey());
                double cos = vector == null || v == null ? 0 : dot(vector, v);
                double bm = e.getValue()[0];
                hits.add(new Hit(e.getKey(), bm, cos, fusion.fuse(bm, cos)));
            }
            hits.sort(Comparator.comparingDouble(Hit::fused).reversed().thenComparing(Hit::id));
            return hits;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Override
    public synchronized void close() {
        try {
            if (reader != null) {
                reader.close();
            }
            writer.close();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
