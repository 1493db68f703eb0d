package dev.podidentity.identity;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

// Contract: docs/contract.md#annotations
class AnnotationValuesTest {

    @Test
    void parseBoolAcceptsExactlyGoSpellings() {
        assertEquals(Optional.of(true), AnnotationValues.parseBool("True"));
        assertEquals(Optional.of(false), AnnotationValues.parseBool("F"));
        assertEquals(Optional.empty(), AnnotationValues.parseBool("tRUE"));
        assertEquals(Optional.empty(), AnnotationValues.parseBool(" true"));
        assertEquals(Optional.empty(), AnnotationValues.parseBool(""));
        assertEquals(Optional.empty(), AnnotationValues.parseBool(null));
    }

    @Test
    void parseSecondsIsGoParseIntBaseTen() {
        assertEquals(Optional.of(3600L), AnnotationValues.parseSeconds("3600"));
        assertEquals(Optional.of(3600L), AnnotationValues.parseSeconds("+3600"));
        assertEquals(Optional.of(-5L), AnnotationValues.parseSeconds("-5"));
        assertEquals(Optional.empty(), AnnotationValues.parseSeconds("3600s"));
        assertEquals(Optional.empty(), AnnotationValues.parseSeconds(" 3600"));
        assertEquals(Optional.empty(), AnnotationValues.parseSeconds("١٢٣"), "ASCII digits only");
        assertEquals(Optional.empty(), AnnotationValues.parseSeconds("99999999999999999999"), "overflow");
        assertEquals(Optional.empty(), AnnotationValues.parseSeconds("1_000"));
    }
}
