import type { EChartsCoreOption } from 'echarts/core'
import { chartLayout, PLOT_LEFT, PLOT_RIGHT } from './chart-layout'
import type { ChannelPoints } from './wire'

export interface PanelRange {
  auto: boolean
  min: number | null
  max: number | null
}

export interface PanelInput {
  name: string
  unit: string
  kind: 'continuous' | 'events'
  channels: ChannelPoints[]
  range: PanelRange
}

export interface TrackInput {
  name: string
  arousal: [number, number | null][]
  valence: [number, number | null][]
  /** Report ratings run 1–5; model probabilities 0–1, with the 0.5 line drawn. */
  scale?: 'rating' | 'probability'
}

export function trackSeriesId(track: string, value: 'arousal' | 'valence'): string {
  return `track:${track}.${value}`
}

const CHANNEL_COLORS = ['#2f6fde', '#d9822b', '#2e9e5b', '#9b59b6']
const AROUSAL_COLOR = '#c23b3b'
const VALENCE_COLOR = '#2f6fde'

/**
 * The whole viewer as one ECharts option: one grid per stream, then one per report track, all on the same
 * x range (ms after the session origin) so they stay in step and the bottom axis serves every panel.
 */
export function viewerOption(
  panels: PanelInput[],
  tracks: TrackInput[],
  window: { fromMs: number; toMs: number },
  formatTime: (relativeMs: number) => string
): EChartsCoreOption {
  const layout = chartLayout(panels.length, tracks.length)
  const grids: object[] = []
  const xAxes: object[] = []
  const yAxes: object[] = []
  const series: object[] = []
  const total = panels.length + tracks.length
  const bands = [...layout.panels, ...layout.tracks]
  bands.forEach((band, index) => {
    const bottom = index === total - 1
    grids.push({
      left: PLOT_LEFT,
      right: PLOT_RIGHT,
      top: band.top,
      height: band.height,
      show: true,
      borderColor: '#dde1e8',
      backgroundColor: '#ffffff'
    })
    xAxes.push({
      type: 'value',
      gridIndex: index,
      min: window.fromMs,
      max: window.toMs,
      splitNumber: 8,
      axisLine: { show: false },
      axisTick: { show: bottom },
      axisLabel: { show: bottom, formatter: formatTime, hideOverlap: true, color: '#6b7385' },
      splitLine: { show: true, lineStyle: { color: '#eef0f4' } }
    })
  })
  panels.forEach((panel, index) => {
    yAxes.push({
      type: 'value',
      gridIndex: index,
      scale: true,
      min: panel.range.auto || panel.range.min === null ? undefined : panel.range.min,
      max: panel.range.auto || panel.range.max === null ? undefined : panel.range.max,
      splitNumber: 3,
      name: `${panel.name.toUpperCase()} (${panel.unit})`,
      nameLocation: 'end',
      nameGap: 6,
      nameTextStyle: { align: 'left', color: '#1d2330', fontWeight: 600 },
      axisLabel: { color: '#6b7385', fontSize: 10 },
      splitLine: { lineStyle: { color: '#f1f3f6' } }
    })
    panel.channels.forEach((channel, channelIndex) => {
      const color = CHANNEL_COLORS[channelIndex % CHANNEL_COLORS.length]
      series.push(
        panel.kind === 'events'
          ? {
              type: 'scatter',
              id: `${panel.name}.${channel.name}`,
              name: `${panel.name}.${channel.name}`,
              xAxisIndex: index,
              yAxisIndex: index,
              data: channel.points,
              symbolSize: 3,
              large: true,
              largeThreshold: 300,
              itemStyle: { color },
              silent: true,
              animation: false
            }
          : {
              type: 'line',
              id: `${panel.name}.${channel.name}`,
              name: `${panel.name}.${channel.name}`,
              xAxisIndex: index,
              yAxisIndex: index,
              data: channel.points,
              showSymbol: false,
              symbol: 'none',
              connectNulls: false,
              lineStyle: { width: 1, color },
              itemStyle: { color },
              silent: true,
              animation: false,
              clip: true
            }
      )
    })
  })
  tracks.forEach((track, trackIndex) => {
    const index = panels.length + trackIndex
    const probability = track.scale === 'probability'
    yAxes.push({
      type: 'value',
      gridIndex: index,
      // The split line at 0.5 is the decision threshold; 0 and 1 lie on the grid border.
      ...(probability ? { min: 0, max: 1, interval: 0.5 } : { min: 1, max: 5, interval: 2 }),
      name: track.name,
      nameLocation: 'middle',
      nameRotate: 0,
      nameGap: 30,
      nameTextStyle: { color: '#1d2330', fontWeight: 600, align: 'right', padding: [0, 8, 0, 0] },
      axisLabel: { show: false },
      splitLine: { lineStyle: probability ? { color: '#9aa3b5', type: 'dashed' } : { color: '#f1f3f6' } }
    })
    for (const [value, color] of [
      ['arousal', AROUSAL_COLOR],
      ['valence', VALENCE_COLOR]
    ] as const) {
      series.push({
        type: 'line',
        id: trackSeriesId(track.name, value),
        name: `${track.name}.${value}`,
        xAxisIndex: index,
        yAxisIndex: index,
        data: track[value],
        showSymbol: false,
        symbol: 'none',
        connectNulls: false,
        lineStyle: { width: 1.5, color, type: value === 'valence' ? 'dashed' : 'solid' },
        silent: true,
        animation: false,
        clip: true
      })
    }
  })
  return { animation: false, grid: grids, xAxis: xAxes, yAxis: yAxes, series }
}
