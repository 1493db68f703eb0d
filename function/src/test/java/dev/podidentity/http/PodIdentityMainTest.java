package dev.podidentity.http;

import dev.podidentity.cluster.TestCertificates;

import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.pkcs.PKCS12PfxPdu;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCS12SafeBagFactory;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.security.KeyStore;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The entry point's JVM setting, checked on what the JDK then does: a key put into a PKCS12 key
 * store, as Vert.x does with the HTTPS server's PEM key, is encrypted with one round of key
 * derivation, and still reads back. Without the setting the JDK's default count applies.
 */
class PodIdentityMainTest {

    private static final char[] PASSWORD = "in-memory".toCharArray();

    private final TestCertificates.Issued serving = TestCertificates.authority("CN=pod-identity");
    private String before;

    @BeforeEach
    void saveProperty() {
        before = System.clearProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT);
    }

    @AfterEach
    void restoreProperty() {
        if (before == null) {
            System.clearProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT);
        } else {
            System.setProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT, before);
        }
    }

    @Test
    void keysPutIntoPkcs12StoresAreEncryptedWithOneRound() throws Exception {
        PodIdentityMain.inMemoryKeyStoresWithoutRounds();

        assertEquals("1", System.getProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT));
        assertEquals(1, roundsOfAStoredKey());
    }

    @Test
    void withoutTheSettingTheJdkDefaultApplies() throws Exception {
        assertEquals(10_000, roundsOfAStoredKey());
    }

    @Test
    void aCountSetOnTheCommandLineIsKept() throws Exception {
        System.setProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT, "20000");

        PodIdentityMain.inMemoryKeyStoresWithoutRounds();

        assertEquals("20000", System.getProperty(PodIdentityMain.KEY_PBE_ITERATION_COUNT));
        assertEquals(20_000, roundsOfAStoredKey());
    }

    /**
     * Puts the serving key into a new PKCS12 store, checks that it reads back, and returns the
     * PBKDF2 iteration count its encryption used, read from the store's encoding.
     */
    private int roundsOfAStoredKey() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("serving", serving.keys().getPrivate(), PASSWORD, serving.chain());
        assertEquals(serving.keys().getPrivate(), store.getKey("serving", PASSWORD));

        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        store.store(encoded, PASSWORD);
        for (ContentInfo content : new PKCS12PfxPdu(encoded.toByteArray()).getContentInfos()) {
            if (!content.getContentType().equals(PKCSObjectIdentifiers.data)) {
                continue; // the certificates, encrypted as a whole; the key is in a data bag
            }
            for (PKCS12SafeBag bag : new PKCS12SafeBagFactory(content).getSafeBags()) {
                if (bag.getType().equals(PKCSObjectIdentifiers.pkcs8ShroudedKeyBag)) {
                    AlgorithmIdentifier encryption = ((PKCS8EncryptedPrivateKeyInfo) bag.getBagValue())
                            .getEncryptionAlgorithm();
                    assertEquals(PKCSObjectIdentifiers.id_PBES2, encryption.getAlgorithm());
                    var derivation = PBES2Parameters.getInstance(encryption.getParameters())
                            .getKeyDerivationFunc();
                    return PBKDF2Params.getInstance(derivation.getParameters()).getIterationCount().intValueExact();
                }
            }
        }
        throw new AssertionError("no encrypted key in the PKCS12 encoding");
    }
}
