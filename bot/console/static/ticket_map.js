// The filtered tickets on a map: Leaflet and its marker-cluster plugin, served by the
// desk. Tiles come from the configured server; when they cannot load (offline), the
// markers still show on a blank background.
import { el } from "../web/desk.js";

const box = document.getElementById("map");
const status = document.querySelector('[data-testid="map-status"]');
const COLOURS = {
  received: "#5B6B7F", forwarded: "#1F6FB2", in_progress: "#C27C0E", resolved: "#1E8E3E",
  closed: "#3C4043", rejected: "#B3261E", duplicate: "#6A4C93",
};

async function show() {
  const response = await fetch(box.dataset.points, { credentials: "same-origin" });
  if (!response.ok) {
    status.textContent = "โหลดตำแหน่งเรื่องไม่สำเร็จ กรุณาลองใหม่";
    return;
  }
  const { points, truncated } = await response.json();
  const map = L.map(box, { preferCanvas: false }).setView([13.7563, 100.5018], 11);
  const tiles = L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: box.dataset.attribution });
  let tileErrors = 0;
  tiles.on("tileerror", () => {
    tileErrors += 1;
    if (tileErrors === 1) box.dataset.tiles = "offline";
  });
  tiles.addTo(map);
  const cluster = L.markerClusterGroup({ showCoverageOnHover: false });
  for (const p of points) {
    const marker = L.circleMarker([p.lat, p.lon], {
      radius: 8, color: p.overdue ? "#B3261E" : "#ffffff", weight: 2,
      fillColor: COLOURS[p.status] || "#5B6B7F", fillOpacity: 0.9,
    });
    marker.bindPopup(() => el("div", {},
      el("a", { href: `${box.dataset.base}/tickets/${p.id}`, text: p.id }),
      el("div", { text: `${p.type_th} · ${p.status_th}${p.overdue ? " · เกินกำหนด" : ""}` })));
    marker.options.ticket = p.id;
    cluster.addLayer(marker);
  }
  map.addLayer(cluster);
  if (points.length) map.fitBounds(cluster.getBounds(), { maxZoom: 16, padding: [20, 20] });
  box.dataset.markers = String(points.length);
  status.textContent = points.length
    ? `${points.length} เรื่องที่มีตำแหน่ง${truncated ? " (แสดงเฉพาะล่าสุด 5,000 เรื่อง)" : ""}`
    : "ไม่มีเรื่องที่มีตำแหน่งตามตัวกรองนี้";
}

show().catch(() => { status.textContent = "แสดงแผนที่ไม่สำเร็จ กรุณาลองใหม่"; });
