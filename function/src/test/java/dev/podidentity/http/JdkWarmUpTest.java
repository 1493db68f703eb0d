package dev.podidentity.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JDK the function runs on has every piece the warm-up sets up, and it sets them up. */
class JdkWarmUpTest {

    @Test
    void everyPieceIsSetUp() {
        assertTrue(JdkWarmUp.warm());
    }
}
