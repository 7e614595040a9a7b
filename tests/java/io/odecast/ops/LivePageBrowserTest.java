package io.odecast.ops;

import static io.odecast.ops.OpsFixtures.frame;
import static io.odecast.ops.OpsFixtures.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.ServiceSettings;
import io.odecast.stream.StreamingService;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The live page in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, installed by
 * {@code scripts/fetch-data.sh}): it lists the streams, shows a forecast picture and moves to the newer forecast
 * when the next frame is published, by itself. Leaves a screenshot at {@code target/live-page.png}.
 */
class LivePageBrowserTest {
    private static final String CHROMIUM = System.getProperty("odecast.chromium", "/usr/bin/chromium");
    private static final String CHROMEDRIVER = System.getProperty("odecast.chromedriver", "/usr/bin/chromedriver");
    private static final String FIRST = "storm/blizzard-1996";
    private static final String SECOND = "storm/second";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void pageListsStreamsShowsAForecastPictureAndFollowsTheNextFrame() throws Exception {
        for (String binary : List.of(CHROMIUM, CHROMEDRIVER)) {
            assertTrue(Files.isExecutable(Path.of(binary)), binary + " is missing: the live page test needs"
                    + " Debian's chromium and chromium-driver; run scripts/fetch-data.sh (it installs them) or set"
                    + " -Dodecast.chromium and -Dodecast.chromedriver");
        }
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(); VidOdeModel model = OpsFixtures.model()) {
            Config config = OpsFixtures.config(kafka.bootstrapServers(), "page", "");
            OpsSettings http = OpsSettings.fromConfig(config);
            PrometheusMetrics metrics = new PrometheusMetrics();
            try (OpsServer ops = OpsServer.start(http, config, metrics,
                    LivePage.start(http.page(), ServiceSettings.fromConfig(config).kafka()))) {
                StreamingService service = StreamingService.builder(config).models(Map.of("storm", model))
                        .observer(metrics).start();
                ops.attach(service);
                Random rng = new Random(11);
                try (KafkaProducer<String, byte[]> producer = OpsFixtures.producer(kafka.bootstrapServers())) {
                    List<FrameMessage> frames = new ArrayList<>();
                    for (double h : new double[] {0, 6, 18}) {
                        frames.add(frame(FIRST, h, rng));
                    }
                    frames.add(frame(SECOND, 0, rng));
                    frames.add(frame(SECOND, 6, rng));
                    publish(producer, "page.frames", frames);
                    WebDriver browser = browser();
                    try {
                        browser.get(ops.url());
                        // The page re-renders the table and the pictures on every event, so an element found
                        // a moment ago may be gone: every read and click is retried on a stale reference.
                        WebDriverWait wait = new WebDriverWait(browser, WAIT);
                        wait.ignoring(StaleElementReferenceException.class);
                        wait.until(b -> b.findElements(By.cssSelector("#streams tbody tr[data-stream]")).size() == 2);
                        assertEquals(List.of(FIRST, SECOND), wait.until(b -> b.findElements(
                                By.cssSelector("#streams tbody tr[data-stream]")).stream()
                                .map(row -> row.getDomAttribute("data-stream")).toList()));

                        wait.until(b -> {
                            b.findElement(By.cssSelector("tr[data-stream='" + FIRST + "']")).click();
                            return true;
                        });
                        awaitForecast(wait, "1996-01-05T18:00:00Z");
                        String before = leadSource(wait);
                        wait.until(b -> !b.findElements(By.cssSelector("#synthesised .flag-FILLED")).isEmpty());

                        publish(producer, "page.frames", List.of(frame(FIRST, 24, rng)));
                        awaitForecast(wait, "1996-01-06T00:00:00Z");
                        assertNotEquals(before, leadSource(wait), "the newer forecast's pictures were loaded");
                        assertEquals("live", wait.until(b -> b.findElement(By.id("status")).getText()),
                                "updated through the event stream");
                        File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
                        Files.copy(shot.toPath(), Path.of("target", "live-page.png"),
                                StandardCopyOption.REPLACE_EXISTING);
                    } finally {
                        browser.quit();
                    }
                } finally {
                    service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** Waits until the page shows the forecast based on {@code basedOn} with every lead picture loaded. */
    private static void awaitForecast(WebDriverWait wait, String basedOn) {
        wait.until(b -> basedOn.equals(b.findElement(By.id("forecast")).getDomAttribute("data-based-on"))
                && Boolean.TRUE.equals(((JavascriptExecutor) b).executeScript(
                "const imgs = [...document.querySelectorAll('#forecast img.lead')];"
                        + " return imgs.length === 4 && imgs.every(i => i.complete && i.naturalWidth > 0);")));
    }

    /** The first lead picture's source, read again if the page replaced the picture meanwhile. */
    private static String leadSource(WebDriverWait wait) {
        return wait.until(b -> b.findElement(By.cssSelector("#forecast img.lead")).getDomAttribute("src"));
    }

    private static WebDriver browser() {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1100");
        return new ChromeDriver(service, options);
    }
}
