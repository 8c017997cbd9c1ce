// A row of figure tiles (the dashboard's, the Security Center's): a value, a line of context,
// a tone, and a bar for proportions.
import type { Tile } from '../dashboard_tiles';

export function TileView({ tile }: { tile: Tile }) {
  return (
    <article className={`tile tone-${tile.tone}`} aria-labelledby={`tile-${tile.id}`} data-tile={tile.id}>
      <h3 id={`tile-${tile.id}`}>{tile.label}</h3>
      <p className="tile-value">{tile.value}</p>
      {tile.ratio !== undefined && (
        <div className="bar" role="img" aria-label={`${Math.round(tile.ratio * 100)}%`}>
          <div className="bar-fill" style={{ width: `${tile.ratio * 100}%` }} />
        </div>
      )}
      <p className="tile-detail">{tile.detail}</p>
    </article>
  );
}

export function Tiles({ tiles, label, busy }: { tiles: Tile[]; label: string; busy?: boolean }) {
  return (
    <div className="tiles" aria-label={label} aria-busy={busy}>
      {tiles.map((t) => (
        <TileView key={t.id} tile={t} />
      ))}
    </div>
  );
}
