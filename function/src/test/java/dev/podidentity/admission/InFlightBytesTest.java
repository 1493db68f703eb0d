package dev.podidentity.admission;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The in-flight budget: each cluster within its share, and room given in turn to those waiting. */
// Contract: docs/contract.md#limits
class InFlightBytesTest {

    static final long W = InFlightBytes.MIN_WEIGHT;

    /** What each reservation was told, in order: "cluster#n" for a grant, "cluster#n refused". */
    final List<String> told = new ArrayList<>();

    InFlightBytes.Ticket reserve(InFlightBytes budget, String cluster, int n) {
        return budget.reserve(cluster, W, reserved -> told.add(cluster + "#" + n + (reserved ? "" : " refused")));
    }

    @Test
    void aBurstLargerThanTheBudgetWaitsAndIsServedAsRoomIsGivenBackInsteadOfRefused() {
        InFlightBytes budget = InFlightBytes.of(2 * W);
        for (int n = 1; n <= 4; n++) {
            reserve(budget, "a", n);
        }
        assertEquals(List.of("a#1", "a#2"), told, "two fit at once; the others wait");

        budget.release("a", W);
        budget.release("a", W);

        assertEquals(List.of("a#1", "a#2", "a#3", "a#4"), told, "each waiting one is given the room freed, in order");
        assertEquals(0, budget.available());
    }

    // Contract: docs/contract.md#limits
    @Test
    void withoutWaitingAnAdmissionPastItsShareIsRefusedAtOnceAndAnotherClusterIsServed() {
        InFlightBytes budget = InFlightBytes.of(8 * W, 2 * W);
        assertTrue(budget.tryReserve("greedy", W));
        assertTrue(budget.tryReserve("greedy", W));

        assertFalse(budget.tryReserve("greedy", W), "past its share: refused at once");
        assertTrue(budget.tryReserve("other", W), "another cluster is served beside it");

        budget.release("greedy", W);
        assertTrue(budget.tryReserve("greedy", W), "room given back is room again");
        assertEquals(3 * W, budget.held("greedy") + budget.held("other"));
    }

    @Test
    void oneClusterHoldsAtMostItsShareAndAnotherIsServedBesideIt() {
        InFlightBytes budget = InFlightBytes.of(8 * W, 2 * W);
        for (int n = 1; n <= 4; n++) {
            reserve(budget, "greedy", n);
        }

        reserve(budget, "polite", 1);

        assertEquals(List.of("greedy#1", "greedy#2", "polite#1"), told);
        assertEquals(2 * W, budget.held("greedy"));
        assertEquals(5 * W, budget.available(), "room is left in the pool: only the greedy cluster waits");
    }

    @Test
    void roomIsGivenToTheWaitingClustersInTurnNotInOrderOfArrival() {
        InFlightBytes budget = InFlightBytes.of(2 * W);
        reserve(budget, "a", 1);
        reserve(budget, "a", 2);
        reserve(budget, "a", 3);
        reserve(budget, "a", 4);
        reserve(budget, "b", 1);
        told.clear();

        budget.release("a", W); // a was first in line: its third; then b is, before a's fourth
        budget.release("a", W);

        assertEquals(List.of("a#3", "b#1"), told);
    }

    @Test
    void aClusterWhoseWaitingAdmissionsWeighThePoolIsRefusedAtOnce() {
        InFlightBytes budget = InFlightBytes.of(4 * W, 2 * W);
        for (int n = 1; n <= 7; n++) {
            reserve(budget, "flood", n);
        }

        assertEquals(List.of("flood#1", "flood#2", "flood#7 refused"), told,
                "two held (its share), four waiting (the pool's weight), the seventh refused without waiting");
    }

    @Test
    void aCancelledWaitIsRefusedOnceAndNeverGivenRoom() {
        InFlightBytes budget = InFlightBytes.of(W);
        reserve(budget, "a", 1);
        InFlightBytes.Ticket waiting = reserve(budget, "a", 2);

        assertTrue(waiting.cancel());
        assertFalse(waiting.cancel(), "decided already");
        budget.release("a", W);

        assertEquals(List.of("a#1", "a#2 refused"), told);
        assertEquals(W, budget.available(), "the room went to no one");
    }

    @Test
    void aLargePatchTakesFromThePoolWithoutWaitingAndItsReleaseServesThoseWaiting() {
        InFlightBytes budget = InFlightBytes.of(2 * W);
        assertTrue(budget.tryReserve(2 * W));
        assertFalse(budget.tryReserve(1));
        reserve(budget, "a", 1);
        assertEquals(List.of(), told);

        budget.release(2 * W);

        assertEquals(List.of("a#1"), told);
    }

    @Test
    void aShareLargerThanThePoolOrSmallerThanOneAdmissionIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> InFlightBytes.of(4 * W, 8 * W));
        assertThrows(IllegalArgumentException.class, () -> InFlightBytes.of(4 * W, W / 2));
        assertThrows(IllegalArgumentException.class, () -> InFlightBytes.of(W / 2));
    }
}
