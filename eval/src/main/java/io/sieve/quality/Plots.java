package io.sieve.quality;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;

/** Line charts drawn with Java2D: accuracy against examples consumed, one line per policy. */
final class Plots {

  /** A policy's curve: mean and standard deviation across seeds at each x. */
  record Curve(double[] x, double[] mean, double[] std) {}

  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xd62728),
    new Color(0x2ca02c),
    new Color(0xff7f0e),
    new Color(0x9467bd),
    new Color(0x8c564b),
    new Color(0xe377c2),
    new Color(0x17becf),
    new Color(0x7f7f7f)
  };

  private static final int WIDTH = 1000;
  private static final int HEIGHT = 640;
  private static final int LEFT = 80;
  private static final int RIGHT = 230;
  private static final int TOP = 50;
  private static final int BOTTOM = 70;

  private Plots() {}

  /** Draws the curves (mean line, ±1 std band) with axes, ticks, labels and a legend. */
  static void accuracy(Path file, String title, Map<String, Curve> curves) throws IOException {
    accuracy(file, title, "test accuracy", curves);
  }

  /** The same, with the y axis named {@code yLabel}. */
  static void accuracy(Path file, String title, String yLabel, Map<String, Curve> curves)
      throws IOException {
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);

    double xMax = 0;
    double yMin = 1;
    double yMax = 0;
    for (Curve c : curves.values()) {
      for (int i = 0; i < c.x().length; i++) {
        xMax = Math.max(xMax, c.x()[i]);
        yMin = Math.min(yMin, c.mean()[i] - c.std()[i]);
        yMax = Math.max(yMax, c.mean()[i] + c.std()[i]);
      }
    }
    yMin = Math.max(0, Math.floor(yMin * 20) / 20);
    yMax = Math.min(1, Math.ceil(yMax * 20) / 20);
    if (yMax <= yMin) {
      yMax = yMin + 0.05;
    }
    xMax = xMax <= 0 ? 1 : xMax;
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    Scale sx = new Scale(0, xMax, LEFT, LEFT + plotW);
    Scale sy = new Scale(yMin, yMax, TOP + plotH, TOP);

    // grid and ticks
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    FontMetrics fm = g.getFontMetrics();
    double yStep = niceStep(yMax - yMin, 8);
    for (double y = Math.ceil(yMin / yStep) * yStep; y <= yMax + 1e-9; y += yStep) {
      int py = sy.map(y);
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(LEFT, py, LEFT + plotW, py);
      g.setColor(Color.DARK_GRAY);
      String label = String.format("%.2f", y);
      g.drawString(label, LEFT - 8 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
    }
    double xStep = niceStep(xMax, 8);
    for (double x = 0; x <= xMax + 1e-9; x += xStep) {
      int px = sx.map(x);
      g.setColor(new Color(0xe6e6e6));
      g.drawLine(px, TOP, px, TOP + plotH);
      g.setColor(Color.DARK_GRAY);
      String label = String.format("%,d", Math.round(x));
      g.drawString(label, px - fm.stringWidth(label) / 2, TOP + plotH + fm.getAscent() + 6);
    }
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, plotW, plotH);

    // bands first, then lines on top
    int i = 0;
    for (Curve c : curves.values()) {
      Color col = PALETTE[i++ % PALETTE.length];
      Path2D band = new Path2D.Double();
      int n = c.x().length;
      for (int k = 0; k < n; k++) {
        double px = sx.map(c.x()[k]);
        double py = sy.map(clamp(c.mean()[k] + c.std()[k], yMin, yMax));
        if (k == 0) {
          band.moveTo(px, py);
        } else {
          band.lineTo(px, py);
        }
      }
      for (int k = n - 1; k >= 0; k--) {
        band.lineTo(sx.map(c.x()[k]), sy.map(clamp(c.mean()[k] - c.std()[k], yMin, yMax)));
      }
      band.closePath();
      g.setColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 45));
      g.fill(band);
    }
    i = 0;
    g.setStroke(new BasicStroke(2.2f));
    for (Curve c : curves.values()) {
      g.setColor(PALETTE[i++ % PALETTE.length]);
      Path2D line = new Path2D.Double();
      for (int k = 0; k < c.x().length; k++) {
        double px = sx.map(c.x()[k]);
        double py = sy.map(clamp(c.mean()[k], yMin, yMax));
        if (k == 0) {
          line.moveTo(px, py);
        } else {
          line.lineTo(px, py);
        }
      }
      g.draw(line);
    }

    // legend
    g.setStroke(new BasicStroke(3f));
    int ly = TOP + 10;
    int lx = LEFT + plotW + 20;
    g.setColor(Color.BLACK);
    g.drawString("policy (mean, band ±1 std)", lx, ly);
    ly += 24;
    i = 0;
    for (String name : curves.keySet()) {
      g.setColor(PALETTE[i++ % PALETTE.length]);
      g.drawLine(lx, ly - 5, lx + 28, ly - 5);
      g.setColor(Color.BLACK);
      g.drawString(name, lx + 36, ly);
      ly += 22;
    }

    // title and axis labels
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    fm = g.getFontMetrics();
    g.drawString(title, LEFT + (plotW - fm.stringWidth(title)) / 2, TOP - 18);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    fm = g.getFontMetrics();
    String xLabel = "examples consumed";
    g.drawString(xLabel, LEFT + (plotW - fm.stringWidth(xLabel)) / 2, HEIGHT - 18);
    AffineTransform saved = g.getTransform();
    g.rotate(-Math.PI / 2);
    g.drawString(yLabel, -(TOP + (plotH + fm.stringWidth(yLabel)) / 2), 24);
    g.setTransform(saved);
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  private static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  /** A step of 1, 2 or 5 × 10ⁿ giving at most about {@code ticks} ticks over {@code range}. */
  static double niceStep(double range, int ticks) {
    double raw = range / ticks;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double f : new double[] {1, 2, 5, 10}) {
      if (f * mag >= raw) {
        return f * mag;
      }
    }
    return 10 * mag;
  }

  private record Scale(double lo, double hi, int from, int to) {
    int map(double v) {
      return (int) Math.round(from + (v - lo) / (hi - lo) * (to - from));
    }
  }
}
