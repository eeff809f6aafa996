package dev.emend.core.edit;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KnowEditCasesTest {
    @Test
    void localityPairsReadEveryKindInOrderWithTheFirstAlias() {
        JsonObject c = JsonParser.parseString("""
                {"prompt": "p", "target_new": "t", "locality": {
                  "Relation_Specificity": [
                    {"prompt": "Ann works as", "ground_truth": "nurse"},
                    {"prompt": "Bo lives in", "ground_truth": ["Oslo", "Christiania"]}],
                  "Forgetfulness": [
                    {"prompt": "Cy was born in", "ground_truth": [["Rome", "Roma"]]}],
                  "note": "not a list"}}""").getAsJsonObject();
        List<String[]> pairs = KnowEditCases.localityPairs(c);
        assertEquals(3, pairs.size());
        assertArrayEquals(new String[] {"Ann works as", "nurse"}, pairs.get(0));
        assertArrayEquals(new String[] {"Bo lives in", "Oslo"}, pairs.get(1));
        assertArrayEquals(new String[] {"Cy was born in", "Rome"}, pairs.get(2));
    }

    @Test
    void aCaseWithoutLocalityHasNoPairs() {
        assertTrue(KnowEditCases.localityPairs(JsonParser.parseString("{\"prompt\": \"p\"}").getAsJsonObject()).isEmpty());
        assertTrue(KnowEditCases.localityPairs(JsonParser.parseString("{\"locality\": []}").getAsJsonObject()).isEmpty());
    }

    @Test
    void argmaxAgreementIsTheShareOfEqualPositions() {
        assertEquals(1.0, KnowEditCases.argmaxAgreement(new int[] {4, 5, 6}, new int[] {4, 5, 6}));
        assertEquals(2.0 / 3, KnowEditCases.argmaxAgreement(new int[] {4, 5, 6}, new int[] {4, 9, 6}), 1e-12);
        assertEquals(0.0, KnowEditCases.argmaxAgreement(new int[] {1, 2}, new int[] {3, 4}));
        assertEquals(0.5, KnowEditCases.argmaxAgreement(new int[] {1, 2}, new int[] {1}), "a missing position disagrees");
        assertEquals(1.0, KnowEditCases.argmaxAgreement(new int[] {}, new int[] {}));
    }
}
